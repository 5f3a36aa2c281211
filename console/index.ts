/**
 * The staff console (issue #6): `registerConsole` serves it under /console on the HTTP server of
 * `rapport start`; the staff functions are shared with `rapport staff …`. Pages inside this folder import
 * each other by path; code outside imports only from here.
 */
export { type AuditEntry, recordAudit } from "./auth/audit.ts";
export { requireRole, requireSignedIn } from "./auth/guard.ts";
export { dummyVerify, hashPassword, verifyPassword } from "./auth/password.ts";
export { deleteExpiredSessions, SESSION_COOKIE } from "./auth/sessions.ts";
export { DEMO_PURCHASES, demoPurchaseEvent, loadDemoData } from "./demo-data.ts";
export type { ConsoleDeps } from "./deps.ts";
export { firstStartHint } from "./first-start.ts";
export { CONSOLE_TEXTS, type ConsoleTextKey, t } from "./i18n.ts";
export { onCustomerRenamed, onInboundStored } from "./inbox/inbound.ts";
export {
  createLiveHub,
  deliveredEvent,
  LiveEvent,
  type LiveHub,
  type LiveHubOptions,
  storedEvent,
} from "./live.ts";
export { registerConsole } from "./register.ts";
export type { SignedInStaff, ViewSettings } from "./request.ts";
export {
  type Actor,
  type CreateStaffResult,
  createStaffUser,
  disableStaffUser,
  hasStaffUsers,
  listStaffUsers,
  NewStaffUser,
  normalizeEmail,
  PASSWORD_MIN_LENGTH,
  passwordProblem,
  type StaffChangeResult,
  type StaffSummary,
  setStaffLocale,
  setStaffPassword,
} from "./staff.ts";
export { type RenderOptions, render } from "./views/render.ts";
