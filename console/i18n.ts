import type { Locale } from "../lib/channels.ts";
import { AUDIT_TEXTS } from "./texts/audit.ts";
import { CAMPAIGN_SEND_TEXTS } from "./texts/campaign-send.ts";
import { CAMPAIGNS_TEXTS } from "./texts/campaigns.ts";
import { CANNED_TEXTS } from "./texts/canned.ts";
import { CONVERSATION_TEXTS } from "./texts/conversation.ts";
import { CUSTOMER_EDIT_TEXTS } from "./texts/customer-edit.ts";
import { CUSTOMERS_TEXTS } from "./texts/customers.ts";
import { DASHBOARD_TEXTS } from "./texts/dashboard.ts";
import { FAILURES_TEXTS } from "./texts/failures.ts";
import { IMPORT_TEXTS } from "./texts/import.ts";
import { INBOX_TEXTS } from "./texts/inbox.ts";
import { LISTENING_TEXTS } from "./texts/listening.ts";
import { LOYALTY_TEXTS } from "./texts/loyalty.ts";
import { RFM_TEXTS } from "./texts/rfm.ts";
import { SEGMENTS_TEXTS } from "./texts/segments.ts";
import { SETUP_TEXTS } from "./texts/setup.ts";
import { TOKENS_TEXTS } from "./texts/tokens.ts";
import { WEBHOOKS_TEXTS } from "./texts/webhooks.ts";

/**
 * Every text of the console, in English. `{name}` placeholders are filled by {@link t}; the Indonesian and
 * Polish tables below must have the same keys (the compiler checks) and the same placeholders (a test does).
 * Keys are `<area>.<what>`; a new page adds its area here.
 */
const en = {
  "layout.skip": "Skip to main content",
  "nav.label": "Main navigation",
  "nav.inbox": "Inbox",
  "nav.customers": "Customers",
  "nav.campaigns": "Campaigns",
  "nav.dashboard": "Dashboard",
  "nav.staff": "Staff",
  "header.account": "Your account",
  "header.signedInAs": "Signed in as {name}",
  "header.language": "Language",
  "header.signOut": "Sign out",
  "shortcuts.title": "Keyboard shortcuts",
  "shortcuts.show": "Show keyboard shortcuts",
  "shortcuts.hint": "Press ? to see the keyboard shortcuts.",
  "common.close": "Close",
  "common.optional": "optional",
  "login.title": "Sign in",
  "login.intro": "{brand} staff console",
  "login.email": "Email",
  "login.password": "Password",
  "login.submit": "Sign in",
  "login.failed": "The email or password is not correct. Check both and try again.",
  "login.throttled": "Too many sign-in attempts. Try again {when}.",
  "login.formExpired": "This sign-in form has expired. Please sign in again.",
  "login.signedOut": "You have signed out.",
  "login.required": "Sign in to continue.",
  "login.help": "Accounts are created by an admin.",
  "staff.title": "Staff",
  "staff.intro": "Everyone who can sign in to this console.",
  "staff.email": "Email",
  "staff.name": "Name",
  "staff.role": "Role",
  "staff.language": "Language",
  "staff.lastLogin": "Last sign-in",
  "staff.never": "Never",
  "staff.status": "Status",
  "staff.active": "Active",
  "staff.disabled": "Disabled",
  "staff.addHeading": "Add a staff member",
  "staff.password": "Password",
  "staff.passwordHint": "At least {min} characters. Give it to them privately.",
  "staff.submit": "Add staff member",
  "staff.added": "{email} has been added and can sign in now.",
  "staff.exists": "There is already an account for {email}.",
  "staff.invalidEmail": "Enter an email address such as name@example.com.",
  "staff.passwordTooShort": "The password needs at least {min} characters.",
  "role.admin": "Admin",
  "role.agent": "Agent",
  "role.marketer": "Marketer",
  "error.forbidden.title": "You can't open this page",
  "error.forbidden.body": "Only these roles can open it: {roles}. Ask an admin if you need access.",
  "error.csrf.title": "This form has expired",
  "error.csrf.body":
    "It was opened too long ago or sent from another site. Go back, reload the page and try again.",
  "error.notFound.title": "Page not found",
  "error.notFound.body": "Check the address, or go back to the inbox.",
  "error.badRequest.title": "Something in the request was wrong",
  "error.badRequest.body": "Go back, check the form and try again.",
  "error.server.title": "Something went wrong",
  "error.server.body": "The error has been logged. Try again in a moment.",
  "error.backToInbox": "Back to the inbox",
} as const;

/** A key of the console's core texts (layout, sign-in, staff, errors). */
type CoreTextKey = keyof typeof en;

const id: Record<CoreTextKey, string> = {
  "layout.skip": "Lewati ke konten utama",
  "nav.label": "Navigasi utama",
  "nav.inbox": "Kotak masuk",
  "nav.customers": "Pelanggan",
  "nav.campaigns": "Kampanye",
  "nav.dashboard": "Dasbor",
  "nav.staff": "Staf",
  "header.account": "Akun Anda",
  "header.signedInAs": "Masuk sebagai {name}",
  "header.language": "Bahasa",
  "header.signOut": "Keluar",
  "shortcuts.title": "Pintasan keyboard",
  "shortcuts.show": "Tampilkan pintasan keyboard",
  "shortcuts.hint": "Tekan ? untuk melihat pintasan keyboard.",
  "common.close": "Tutup",
  "common.optional": "opsional",
  "login.title": "Masuk",
  "login.intro": "Konsol staf {brand}",
  "login.email": "Email",
  "login.password": "Kata sandi",
  "login.submit": "Masuk",
  "login.failed": "Email atau kata sandi tidak benar. Periksa keduanya, lalu coba lagi.",
  "login.throttled": "Terlalu banyak percobaan masuk. Coba lagi {when}.",
  "login.formExpired": "Formulir masuk ini sudah kedaluwarsa. Silakan masuk lagi.",
  "login.signedOut": "Anda telah keluar.",
  "login.required": "Silakan masuk untuk melanjutkan.",
  "login.help": "Akun dibuat oleh admin.",
  "staff.title": "Staf",
  "staff.intro": "Semua orang yang dapat masuk ke konsol ini.",
  "staff.email": "Email",
  "staff.name": "Nama",
  "staff.role": "Peran",
  "staff.language": "Bahasa",
  "staff.lastLogin": "Terakhir masuk",
  "staff.never": "Belum pernah",
  "staff.status": "Status",
  "staff.active": "Aktif",
  "staff.disabled": "Dinonaktifkan",
  "staff.addHeading": "Tambah anggota staf",
  "staff.password": "Kata sandi",
  "staff.passwordHint": "Minimal {min} karakter. Sampaikan kepadanya secara pribadi.",
  "staff.submit": "Tambah anggota staf",
  "staff.added": "{email} sudah ditambahkan dan sekarang dapat masuk.",
  "staff.exists": "Sudah ada akun untuk {email}.",
  "staff.invalidEmail": "Masukkan alamat email, misalnya nama@contoh.com.",
  "staff.passwordTooShort": "Kata sandi minimal {min} karakter.",
  "role.admin": "Admin",
  "role.agent": "Agen",
  "role.marketer": "Pemasar",
  "error.forbidden.title": "Anda tidak dapat membuka halaman ini",
  "error.forbidden.body":
    "Hanya peran berikut yang dapat membukanya: {roles}. Hubungi admin jika Anda memerlukan akses.",
  "error.csrf.title": "Formulir ini sudah kedaluwarsa",
  "error.csrf.body":
    "Formulir ini dibuka terlalu lama atau dikirim dari situs lain. Kembali, muat ulang halaman, lalu coba lagi.",
  "error.notFound.title": "Halaman tidak ditemukan",
  "error.notFound.body": "Periksa alamatnya, atau kembali ke kotak masuk.",
  "error.badRequest.title": "Ada yang salah dalam permintaan",
  "error.badRequest.body": "Kembali, periksa formulirnya, lalu coba lagi.",
  "error.server.title": "Terjadi kesalahan",
  "error.server.body": "Kesalahan ini sudah dicatat. Silakan coba lagi sebentar lagi.",
  "error.backToInbox": "Kembali ke kotak masuk",
};

const pl: Record<CoreTextKey, string> = {
  "layout.skip": "Przejdź do treści",
  "nav.label": "Nawigacja główna",
  "nav.inbox": "Skrzynka",
  "nav.customers": "Klienci",
  "nav.campaigns": "Kampanie",
  "nav.dashboard": "Pulpit",
  "nav.staff": "Zespół",
  "header.account": "Twoje konto",
  "header.signedInAs": "Zalogowano jako {name}",
  "header.language": "Język",
  "header.signOut": "Wyloguj się",
  "shortcuts.title": "Skróty klawiszowe",
  "shortcuts.show": "Pokaż skróty klawiszowe",
  "shortcuts.hint": "Naciśnij ?, aby zobaczyć skróty klawiszowe.",
  "common.close": "Zamknij",
  "common.optional": "opcjonalnie",
  "login.title": "Logowanie",
  "login.intro": "Konsola zespołu {brand}",
  "login.email": "E-mail",
  "login.password": "Hasło",
  "login.submit": "Zaloguj się",
  "login.failed": "Nieprawidłowy e-mail lub hasło. Sprawdź oba pola i spróbuj ponownie.",
  "login.throttled": "Zbyt wiele prób logowania. Spróbuj ponownie {when}.",
  "login.formExpired": "Ten formularz logowania wygasł. Zaloguj się ponownie.",
  "login.signedOut": "Wylogowano.",
  "login.required": "Zaloguj się, aby kontynuować.",
  "login.help": "Konta zakłada administrator.",
  "staff.title": "Zespół",
  "staff.intro": "Wszystkie osoby, które mogą logować się do tej konsoli.",
  "staff.email": "E-mail",
  "staff.name": "Imię i nazwisko",
  "staff.role": "Rola",
  "staff.language": "Język",
  "staff.lastLogin": "Ostatnie logowanie",
  "staff.never": "Nigdy",
  "staff.status": "Stan",
  "staff.active": "Aktywne",
  "staff.disabled": "Wyłączone",
  "staff.addHeading": "Dodaj osobę do zespołu",
  "staff.password": "Hasło",
  "staff.passwordHint": "Co najmniej {min} znaków. Przekaż je tej osobie prywatnie.",
  "staff.submit": "Dodaj osobę",
  "staff.added": "Dodano {email}. Ta osoba może się już zalogować.",
  "staff.exists": "Konto dla {email} już istnieje.",
  "staff.invalidEmail": "Wpisz adres e-mail, np. imie@przyklad.pl.",
  "staff.passwordTooShort": "Hasło musi mieć co najmniej {min} znaków.",
  "role.admin": "Administrator",
  "role.agent": "Konsultant",
  "role.marketer": "Marketer",
  "error.forbidden.title": "Nie możesz otworzyć tej strony",
  "error.forbidden.body":
    "Mogą ją otworzyć tylko role: {roles}. Jeśli potrzebujesz dostępu, poproś administratora.",
  "error.csrf.title": "Ten formularz wygasł",
  "error.csrf.body":
    "Został otwarty zbyt dawno temu lub wysłany z innej strony. Wróć, odśwież stronę i spróbuj ponownie.",
  "error.notFound.title": "Nie znaleziono strony",
  "error.notFound.body": "Sprawdź adres lub wróć do skrzynki odbiorczej.",
  "error.badRequest.title": "Coś w żądaniu było nie tak",
  "error.badRequest.body": "Wróć, sprawdź formularz i spróbuj ponownie.",
  "error.server.title": "Coś poszło nie tak",
  "error.server.body": "Błąd został zapisany. Spróbuj ponownie za chwilę.",
  "error.backToInbox": "Wróć do skrzynki odbiorczej",
};

/**
 * The texts of each page area, one file each in console/texts/ (`defineTexts`): a page adds its area there
 * and one line here, so pages are built side by side without touching each other's texts.
 */
const AREAS = [
  INBOX_TEXTS,
  CONVERSATION_TEXTS,
  CANNED_TEXTS,
  CUSTOMERS_TEXTS,
  CUSTOMER_EDIT_TEXTS,
  CAMPAIGNS_TEXTS,
  CAMPAIGN_SEND_TEXTS,
  DASHBOARD_TEXTS,
  SETUP_TEXTS,
  FAILURES_TEXTS,
  SEGMENTS_TEXTS,
  LOYALTY_TEXTS,
  RFM_TEXTS,
  TOKENS_TEXTS,
  WEBHOOKS_TEXTS,
  IMPORT_TEXTS,
  AUDIT_TEXTS,
  LISTENING_TEXTS,
] as const;

// distributive over the areas: the keys of every area, not only those all areas share
type KeysOfArea<A> = A extends { en: infer E } ? keyof E : never;
type AreaKey = KeysOfArea<(typeof AREAS)[number]>;

/** A key of the console's texts. */
export type ConsoleTextKey = CoreTextKey | AreaKey;

const merge = (locale: Locale, core: Record<CoreTextKey, string>) =>
  Object.assign({}, core, ...AREAS.map((area: { [L in Locale]: object }) => area[locale])) as Record<
    ConsoleTextKey,
    string
  >;

/** The console's texts per locale. */
export const CONSOLE_TEXTS: Readonly<Record<Locale, Readonly<Record<ConsoleTextKey, string>>>> = {
  en: merge("en", en),
  id: merge("id", id),
  pl: merge("pl", pl),
};

/** Whether a string is a key of the console's texts (for keys that come from templates). */
export function isTextKey(key: string): key is ConsoleTextKey {
  return Object.hasOwn(CONSOLE_TEXTS.en, key);
}

/**
 * A console text in a locale, with `{name}` placeholders filled from `params` (a missing one stays visible
 * as `{name}`, so it is noticed). The result is plain text: views escape it.
 */
export function t(
  locale: Locale,
  key: ConsoleTextKey,
  params: Readonly<Record<string, unknown>> = {},
): string {
  return CONSOLE_TEXTS[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}
