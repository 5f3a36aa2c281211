-- AlterTable
ALTER TABLE "Customer" ADD COLUMN     "address" JSONB;

-- customer.* webhook events carry the address too (and a changed address is a customer.updated)
CREATE OR REPLACE FUNCTION "rapport_customer_profile"(c "Customer") RETURNS jsonb LANGUAGE sql IMMUTABLE AS $fn$
  SELECT jsonb_build_object('id', c.id, 'name', c.name, 'email', c.email, 'phone', c.phone,
    'externalId', c."externalId", 'locale', c.locale, 'timezone', c.timezone, 'country', c.country,
    'address', c.address, 'attributes', c.attributes, 'createdAt', "rapport_iso"(c."createdAt"))
$fn$;
