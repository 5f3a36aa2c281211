export { CallBody, CallRecorded, type CallsApiOptions, registerCallsApi } from "./api.ts";
export {
  CALL_STATES,
  type CallReport,
  type CallState,
  customerOfCaller,
  type RecordedCall,
  recordCall,
  type StoredCall,
  toE164,
} from "./calls.ts";
export {
  registerTwilioVoice,
  TWILIO_STATUS_PATH,
  TWILIO_VOICE_PATH,
  TwilioVoiceForm,
  type TwilioVoiceOptions,
  voiceTwiml,
} from "./twilio.ts";
