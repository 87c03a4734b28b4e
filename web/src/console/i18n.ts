/**
 * The agent console's text in English and Hindi (the widget's is ../i18n.ts). Every
 * visible string and accessible name of the console comes from here; docs/hindi.md
 * explains the Hindi word choices.
 *
 * The language: the agent's own choice (the switch in the top bar, remembered in
 * localStorage), else the browser's first language that is English or Hindi, else
 * English. The page's `<html lang>` holds the language in use, and `t()` reads it, so
 * any module of the console (sessions.ts too) can call `t()` without passing it around.
 *
 * The contract's accessible names ("PIN", "Join", "Leave", "Request control", "ended",
 * ...) are the English console's: the tests that rely on them run in English.
 */
import { type Lang, fmt, langOf } from '../i18n';

export type { Lang };
export const CONSOLE_LANGS: readonly Lang[] = ['en', 'hi'];

export const EN = {
  // page
  pageTitle: 'Co-browse console',
  skip: 'Skip to main content',
  brand: 'Co-browse',
  brandSub: 'agent console',
  signedInAs: 'Signed in as',
  signOut: 'Sign out',
  language: 'Language',
  loading: 'Loading…',
  signInNeeded: 'Sign-in needed',
  notSignedIn: 'You are not signed in.',
  signIn: 'Sign in',
  orCrm: "Or open the console from your CRM's co-browse link.",
  joinTitle: 'Join a co-browse session',
  pin: 'PIN',
  pinHint: 'The 6 digits the caller reads to you.',
  join: 'Join',
  sessionTitle: 'Co-browse session',
  visitorsPage: "Visitor's page",
  leave: 'Leave',
  visitorsScreen: "Visitor's screen",
  waitingAllow: 'Waiting for the visitor to allow…',
  // status line (status.ts)
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  loadingMirror: 'Connected. Waiting for the visitor’s page…',
  live: 'Live: you are viewing the visitor’s tab.',
  liveRequested: 'Live: control requested, waiting for the visitor to answer.',
  liveControl: 'Live: you have control of the visitor’s tab.',
  ended: 'The session has ended.',
  // toolbar (tools.ts)
  toolbar: 'Guidance and control',
  tools: 'Guidance tools',
  pointer: 'Pointer',
  pointerHint: 'Your pointer shows on the visitor’s page',
  highlight: 'Highlight',
  highlightHint: 'Click an element to outline it (once, then back to Pointer)',
  laser: 'Laser',
  laserHint: 'Drag: a stroke that fades (once, then back to Pointer)',
  draw: 'Draw',
  drawHint: 'Drag: a mark that stays until Clear (once, then back to Pointer)',
  clear: 'Clear',
  clearHint: 'Remove highlights and drawings from the visitor’s page',
  toolOn: '{tool} is on (once). Escape: back to Pointer.',
  control: 'Control',
  requestControl: 'Request control',
  waitingVisitor: 'Waiting for the visitor…',
  cancelRequest: 'Cancel request',
  releaseControl: 'Release control',
  navigation: 'Navigation',
  back: 'Back',
  forward: 'Forward',
  reload: 'Reload',
  address: 'Address',
  addressPlaceholder: 'Address: /path or https://…',
  open: 'Open',
  withControl: 'Needs control of the visitor’s tab',
  didNotGive: 'The visitor did not give control.',
  youHaveControl: 'You have control: click, type and scroll in the visitor’s page.',
  controlEnded: 'Control ended: you are viewing again.',
  unanswered: 'No answer from the visitor’s page: an action may not have been done.',
  refusedAway: 'Not done: the visitor’s page is loading or offline. Try again in a moment.',
  refusedNoControl: 'Not done: you do not have control of the visitor’s page.',
  refused: 'Refused on the visitor’s side: {reason}.',
  typeInto: 'Type into the visitor’s field',
  mirrorApp: "Visitor's page: point, highlight or draw; with control, click, type and scroll",
  mirrorFrame: 'Visitor’s page (live view)',
  visitorPointer: 'Visitor’s pointer',
  maskedTitle: 'Hidden: personal data stays on the visitor’s side',
  fileChosen: 'File chosen by the visitor: {name}',
  // view (view.ts)
  view: 'View',
  zoomOut: 'Zoom out',
  zoomIn: 'Zoom in',
  zoomLevel: 'Zoom',
  fitPage: 'Fit page',
  fitWidth: 'Fit width',
  fullScreen: 'Full screen',
  exitFullScreen: 'Exit full screen',
  hideChat: 'Hide chat',
  showChat: 'Show chat',
  showChatUnread: 'Show chat ({n} unread)',
  newMessage: 'New message from {name}: {text}',
  notices: 'Notices',
  // chat
  chatTitle: 'Chat',
  chatLog: 'Conversation',
  chatMessage: 'Message',
  chatSend: 'Send',
  chatYou: 'You',
  chatEmpty: 'No messages yet.',
  // documents (files.ts)
  documents: 'Documents',
  fileToOffer: 'File to offer',
  offerFile: 'Offer a file',
  filesOffered: 'Files offered',
  chooseFileFirst: 'Choose a file to offer first.',
  noSession: 'There is no session to offer the file in.',
  offerUnreachable: 'The file could not be sent: the co-browse server cannot be reached.',
  offerAnswered: 'The file could not be sent (the server answered {status}).',
  offerNotUnderstood: 'The file could not be sent: the server’s answer was not understood.',
  offerOffered: 'offered',
  offerAccepted: 'accepted',
  offerDeclined: 'declined',
  // join errors (errors.ts)
  pinInvalid: 'That PIN is not valid. Check it with the caller.',
  pinMalformed: 'That PIN is not valid. Enter the 6 digits the caller reads to you.',
  aMoment: 'a moment',
  seconds: '{n} seconds',
  second: '1 second',
  joinsPaused: 'Too many wrong PINs on this server just now, so joining is paused. Try again in {wait}.',
  tooManyWait: 'Too many attempts. Wait a moment, then try again.',
  tooManyIn: 'Too many attempts. Try again in {wait}.',
  notSignedInAnyMore: 'You are not signed in any more. Reload the page to sign in again.',
  enterPin: 'Enter the 6-digit PIN the caller reads to you.',
  unreachable: 'The co-browse server cannot be reached. Check your connection and try again.',
  unreachableReload: 'The co-browse server cannot be reached. Reload to try again.',
  serverAnswered: 'The co-browse server answered {status}.',
  joinFailed: 'Joining failed (error {status}). Try again.',
  // ends (errors.ts): each contains "ended" in English (the contract)
  endedStopped: 'The session has ended (the visitor pressed Stop).',
  endedYouLeft: 'The session has ended (you left).',
  endedDenied: 'The session has ended: the visitor denied the request.',
  endedPinExpired: 'The session has ended: the PIN expired.',
  endedTimeout: 'The session has ended: the visitor did not answer in time.',
  endedVisitorGone: 'The session has ended: the visitor’s page went away.',
  endedAgentGone: 'The session has ended: your connection was lost for too long.',
  endedMax: 'The session has ended: the time limit was reached.',
  endedAdmin: 'The session has ended by an administrator.',
  endedClosed: 'The session has ended: the connection was closed.',
  // the Sessions list and supervision (sessions.ts, supervise.ts)
  sessions: "Sessions",
  colAgent: "Agent",
  colSite: "Site and page",
  colDuration: "Duration",
  colBrowser: "Browser",
  colScreen: "Screen",
  colControl: "Control",
  colWatching: "Watching",
  colActions: "Actions",
  noSessions: "No live sessions you can see just now.",
  waitingForAgent: "Waiting for an agent",
  youMark: "(you)",
  ctlView: "Viewing",
  ctlRequested: "Asked for control",
  ctlControl: "Has control",
  askingVisitor: "Asking the visitor",
  watch: "Watch",
  takeOver: "Take over",
  transfer: "Transfer",
  accept: "Accept",
  decline: "Decline",
  stopWatching: "Stop watching",
  fromAgent: "From {name}",
  offeredTo: "Offered to {name}",
  offerAnnounce: "{name} offers you a session. Accept or decline it in the Sessions list.",
  durSeconds: "{n} s",
  durMinutes: "{n} min",
  durHours: "{h} h {m} min",
  notesTitle: "Private notes",
  notesMessage: "Note",
  notesEmpty: "Notes between you and the supervisors watching. The visitor never sees them.",
  alsoWatching: "Also watching: {names}",
  transferTitle: "Transfer this session",
  transferTo: "To an agent with the console open",
  transferNobody: "Nobody else has the console open just now.",
  transferCancel: "Cancel",
  transferSubmit: "Offer the session",
  handedOverSomeone: "Someone else now helps this visitor.",
  watchRefused: "The visitor did not allow you to watch.",
  watchEnded: "You are no longer watching this session.",
  tookOver: "{name} took over this session.",
  transferredTo: "The session was transferred to {name}.",
  nowHelps: "{name} now helps the visitor.",
  transferOffered: "Offered to {name}. Waiting for them to accept…",
  transferDeclined: "{name} declined the transfer.",
  transferLapsed: "{name} did not accept in time; the session stays with you.",
  watchAsked: "Waiting for the visitor to allow you to watch…",
  watchingLive: "Watching, view only: the visitor and the agent see that you are here.",
  // recordings (recordings.ts)
  recordings: "Recordings",
  recClose: "Close recordings",
  recList: "Recorded sessions",
  recLoading: "Loading recordings…",
  recUnreachable: "The co-browse server cannot be reached.",
  recAnswered: "The server answered {status}.",
  recCount: "{n} recordings.",
  recNone: "No recordings yet.",
  recNoAgent: "no agent",
  recNoSite: "unknown site",
  recPlay: "Play",
  recExport: "Export",
  recOpening: "Opening the recording…",
  recPlaying: "Playing the session of {when}.",
  recInProgress: "in progress",
  recDuration: "{m} min {s} s",
  recMarkPage: "Page loaded: {path}",
  recMarkGranted: "Control granted",
  recMarkRequested: "Control requested",
  recMarkRevoked: "Control revoked",
  recMarkAct: "Agent act: {kind}",
  recMarkRefused: "Act refused: {reason}",
  recMarkChat: "Chat from {name}",
  recNoPage: "This recording holds no page to show.",
  recPlayback: "Playback",
  recPause: "Pause",
  recContinue: "Continue",
  recSpeed: "Speed",
  recSkip: "Skip inactivity",
  recPosition: "Position",
  recMarkers: "Timeline markers",
  recMarkAt: "{label} at {at}",
  recScreen: "Recorded screen",
  recChatTranscript: "Chat transcript",
  recNoChat: "No chat.",
  recAuditEntries: "Audit entries",
  recAudit: "Audit",
  recNoAudit: "No audit entries.",
  recPage: "Recorded page",
} as const;

export type Key = keyof typeof EN;
export type Strings = Readonly<Record<Key, string>>;

/** Hindi: the words Indian government portals use (docs/hindi.md). */
export const HI: Strings = {
  pageTitle: 'साथ में ब्राउज़िंग: एजेंट कंसोल',
  skip: 'मुख्य सामग्री पर जाएँ',
  brand: 'साथ में ब्राउज़िंग',
  brandSub: 'एजेंट कंसोल',
  signedInAs: 'साइन इन:',
  signOut: 'साइन आउट करें',
  language: 'भाषा',
  loading: 'लोड हो रहा है…',
  signInNeeded: 'साइन इन आवश्यक है',
  notSignedIn: 'आपने साइन इन नहीं किया है।',
  signIn: 'साइन इन करें',
  orCrm: 'या अपने CRM के लिंक से कंसोल खोलें।',
  joinTitle: 'साथ में ब्राउज़िंग सत्र से जुड़ें',
  pin: 'पिन',
  pinHint: 'कॉल करने वाले द्वारा बताए गए 6 अंक।',
  join: 'जुड़ें',
  sessionTitle: 'साथ में ब्राउज़िंग सत्र',
  visitorsPage: 'उपयोगकर्ता का पृष्ठ',
  leave: 'सत्र छोड़ें',
  visitorsScreen: 'उपयोगकर्ता की स्क्रीन',
  waitingAllow: 'उपयोगकर्ता की अनुमति की प्रतीक्षा है…',
  connecting: 'कनेक्ट किया जा रहा है…',
  reconnecting: 'फिर से कनेक्ट किया जा रहा है…',
  loadingMirror: 'कनेक्ट हो गया। उपयोगकर्ता के पृष्ठ की प्रतीक्षा है…',
  live: 'लाइव: आप उपयोगकर्ता का टैब देख रहे हैं।',
  liveRequested: 'लाइव: नियंत्रण का अनुरोध भेजा गया, उपयोगकर्ता के उत्तर की प्रतीक्षा है।',
  liveControl: 'लाइव: उपयोगकर्ता के टैब का नियंत्रण आपके पास है।',
  ended: 'सत्र समाप्त हो गया।',
  toolbar: 'मार्गदर्शन और नियंत्रण',
  tools: 'मार्गदर्शन के साधन',
  pointer: 'पॉइंटर',
  pointerHint: 'आपका पॉइंटर उपयोगकर्ता के पृष्ठ पर दिखता है',
  highlight: 'हाइलाइट',
  highlightHint: 'किसी तत्व पर क्लिक करें, उसके चारों ओर रेखा बनेगी (एक बार, फिर पॉइंटर)',
  laser: 'लेज़र',
  laserHint: 'खींचें: कुछ देर में मिट जाने वाली रेखा (एक बार, फिर पॉइंटर)',
  draw: 'रेखा खींचें',
  drawHint: 'खींचें: मिटाएँ दबाने तक रहने वाली रेखा (एक बार, फिर पॉइंटर)',
  clear: 'मिटाएँ',
  clearHint: 'उपयोगकर्ता के पृष्ठ से हाइलाइट और रेखाएँ हटाएँ',
  toolOn: '{tool} चालू है (एक बार)। Escape: वापस पॉइंटर।',
  control: 'नियंत्रण',
  requestControl: 'नियंत्रण का अनुरोध करें',
  waitingVisitor: 'उत्तर की प्रतीक्षा है…',
  cancelRequest: 'अनुरोध रद्द करें',
  releaseControl: 'नियंत्रण छोड़ें',
  navigation: 'पृष्ठ बदलें',
  back: 'पिछला पृष्ठ',
  forward: 'अगला पृष्ठ',
  reload: 'पृष्ठ फिर से लोड करें',
  address: 'पता',
  addressPlaceholder: 'पता: /path या https://…',
  open: 'खोलें',
  withControl: 'इसके लिए उपयोगकर्ता के टैब का नियंत्रण चाहिए',
  didNotGive: 'उपयोगकर्ता ने नियंत्रण नहीं दिया।',
  youHaveControl: 'नियंत्रण आपके पास है: उपयोगकर्ता के पृष्ठ पर क्लिक, टाइप और स्क्रॉल करें।',
  controlEnded: 'नियंत्रण समाप्त: अब आप केवल देख रहे हैं।',
  unanswered: 'उपयोगकर्ता के पृष्ठ से उत्तर नहीं मिला: हो सकता है कोई कार्रवाई पूरी न हुई हो।',
  refusedAway: 'नहीं हुआ: उपयोगकर्ता का पृष्ठ लोड हो रहा है या ऑफ़लाइन है। थोड़ी देर में फिर से प्रयास करें।',
  refusedNoControl: 'नहीं हुआ: उपयोगकर्ता के पृष्ठ का नियंत्रण आपके पास नहीं है।',
  refused: 'उपयोगकर्ता की ओर से अस्वीकार: {reason}।',
  typeInto: 'उपयोगकर्ता के फ़ील्ड में टाइप करें',
  mirrorApp: 'उपयोगकर्ता का पृष्ठ: पॉइंटर, हाइलाइट या रेखा; नियंत्रण मिलने पर क्लिक, टाइप और स्क्रॉल',
  mirrorFrame: 'उपयोगकर्ता का पृष्ठ (लाइव)',
  visitorPointer: 'उपयोगकर्ता का पॉइंटर',
  maskedTitle: 'छिपा हुआ: व्यक्तिगत जानकारी उपयोगकर्ता के पास ही रहती है',
  fileChosen: 'उपयोगकर्ता द्वारा चुनी गई फ़ाइल: {name}',
  view: 'दृश्य',
  zoomOut: 'छोटा करें',
  zoomIn: 'बड़ा करें',
  zoomLevel: 'ज़ूम',
  fitPage: 'पूरा पृष्ठ',
  fitWidth: 'पूरी चौड़ाई',
  fullScreen: 'पूर्ण स्क्रीन',
  exitFullScreen: 'पूर्ण स्क्रीन से बाहर',
  hideChat: 'चैट छिपाएँ',
  showChat: 'चैट दिखाएँ',
  showChatUnread: 'चैट दिखाएँ ({n} अपठित)',
  newMessage: '{name} का नया संदेश: {text}',
  notices: 'सूचनाएँ',
  chatTitle: 'चैट',
  chatLog: 'बातचीत',
  chatMessage: 'संदेश',
  chatSend: 'भेजें',
  chatYou: 'आप',
  chatEmpty: 'अभी कोई संदेश नहीं है।',
  documents: 'दस्तावेज़',
  fileToOffer: 'भेजने के लिए फ़ाइल',
  offerFile: 'फ़ाइल भेजें',
  filesOffered: 'भेजी गई फ़ाइलें',
  chooseFileFirst: 'पहले भेजने के लिए फ़ाइल चुनें।',
  noSession: 'फ़ाइल भेजने के लिए कोई सत्र नहीं है।',
  offerUnreachable: 'फ़ाइल नहीं भेजी जा सकी: सर्वर से संपर्क नहीं हो सका।',
  offerAnswered: 'फ़ाइल नहीं भेजी जा सकी (सर्वर का उत्तर: {status})।',
  offerNotUnderstood: 'फ़ाइल नहीं भेजी जा सकी: सर्वर का उत्तर समझ में नहीं आया।',
  offerOffered: 'भेजी गई, उत्तर की प्रतीक्षा है',
  offerAccepted: 'स्वीकार की गई',
  offerDeclined: 'अस्वीकार की गई',
  pinInvalid: 'यह पिन मान्य नहीं है। कॉल करने वाले से दोबारा पूछें।',
  pinMalformed: 'यह पिन मान्य नहीं है। कॉल करने वाले द्वारा बताए गए 6 अंक दर्ज करें।',
  aMoment: 'थोड़ी देर',
  seconds: '{n} सेकंड',
  second: '1 सेकंड',
  joinsPaused: 'इस सर्वर पर अभी बहुत अधिक गलत पिन दर्ज हुए, इसलिए जुड़ना रोका गया है। {wait} बाद फिर से प्रयास करें।',
  tooManyWait: 'बहुत अधिक प्रयास हुए। थोड़ी देर रुककर फिर से प्रयास करें।',
  tooManyIn: 'बहुत अधिक प्रयास हुए। {wait} बाद फिर से प्रयास करें।',
  notSignedInAnyMore: 'आप अब साइन इन नहीं हैं। फिर से साइन इन करने के लिए पृष्ठ दोबारा लोड करें।',
  enterPin: 'कॉल करने वाले द्वारा बताया गया 6 अंकों का पिन दर्ज करें।',
  unreachable: 'सर्वर से संपर्क नहीं हो सका। अपना कनेक्शन जाँचें और फिर से प्रयास करें।',
  unreachableReload: 'सर्वर से संपर्क नहीं हो सका। फिर से प्रयास करने के लिए पृष्ठ दोबारा लोड करें।',
  serverAnswered: 'सर्वर का उत्तर: {status}।',
  joinFailed: 'जुड़ना नहीं हो सका (त्रुटि {status})। फिर से प्रयास करें।',
  endedStopped: 'सत्र समाप्त हो गया (उपयोगकर्ता ने रोकें दबाया)।',
  endedYouLeft: 'सत्र समाप्त हो गया (आपने सत्र छोड़ा)।',
  endedDenied: 'सत्र समाप्त हो गया: उपयोगकर्ता ने अनुरोध अस्वीकार किया।',
  endedPinExpired: 'सत्र समाप्त हो गया: पिन की समय-सीमा समाप्त हो गई।',
  endedTimeout: 'सत्र समाप्त हो गया: उपयोगकर्ता ने समय पर उत्तर नहीं दिया।',
  endedVisitorGone: 'सत्र समाप्त हो गया: उपयोगकर्ता का पृष्ठ बंद हो गया।',
  endedAgentGone: 'सत्र समाप्त हो गया: आपका कनेक्शन बहुत देर तक टूटा रहा।',
  endedMax: 'सत्र समाप्त हो गया: समय-सीमा पूरी हो गई।',
  endedAdmin: 'सत्र को व्यवस्थापक ने समाप्त किया।',
  endedClosed: 'सत्र समाप्त हो गया: कनेक्शन बंद हो गया।',
  sessions: "सत्र",
  colAgent: "एजेंट",
  colSite: "साइट और पृष्ठ",
  colDuration: "अवधि",
  colBrowser: "ब्राउज़र",
  colScreen: "स्क्रीन",
  colControl: "नियंत्रण",
  colWatching: "देख रहे हैं",
  colActions: "कार्रवाई",
  noSessions: "अभी आपके देखने योग्य कोई सक्रिय सत्र नहीं है।",
  waitingForAgent: "एजेंट की प्रतीक्षा",
  youMark: "(आप)",
  ctlView: "देख रहे हैं",
  ctlRequested: "नियंत्रण माँगा गया",
  ctlControl: "नियंत्रण में",
  askingVisitor: "उपयोगकर्ता से पूछा जा रहा है",
  watch: "देखें",
  takeOver: "सत्र संभालें",
  transfer: "स्थानांतरित करें",
  accept: "स्वीकार करें",
  decline: "अस्वीकार करें",
  stopWatching: "देखना बंद करें",
  fromAgent: "{name} की ओर से",
  offeredTo: "{name} को प्रस्तावित",
  offerAnnounce: "{name} आपको एक सत्र सौंपना चाहते हैं। सत्र सूची में स्वीकार या अस्वीकार करें।",
  durSeconds: "{n} सेकंड",
  durMinutes: "{n} मिनट",
  durHours: "{h} घंटे {m} मिनट",
  notesTitle: "निजी नोट",
  notesMessage: "नोट",
  notesEmpty: "आपके और देख रहे पर्यवेक्षकों के बीच के नोट। उपयोगकर्ता इन्हें कभी नहीं देखता।",
  alsoWatching: "साथ में देख रहे हैं: {names}",
  transferTitle: "यह सत्र स्थानांतरित करें",
  transferTo: "कंसोल खोले हुए किसी एजेंट को",
  transferNobody: "अभी किसी और ने कंसोल नहीं खोला है।",
  transferCancel: "रद्द करें",
  transferSubmit: "सत्र सौंपें",
  handedOverSomeone: "अब कोई और इस उपयोगकर्ता की सहायता कर रहा है।",
  watchRefused: "उपयोगकर्ता ने आपको देखने की अनुमति नहीं दी।",
  watchEnded: "अब आप यह सत्र नहीं देख रहे हैं।",
  tookOver: "{name} ने यह सत्र संभाल लिया।",
  transferredTo: "सत्र {name} को स्थानांतरित कर दिया गया।",
  nowHelps: "अब {name} उपयोगकर्ता की सहायता कर रहे हैं।",
  transferOffered: "{name} को प्रस्ताव भेजा गया। उनके स्वीकार करने की प्रतीक्षा…",
  transferDeclined: "{name} ने स्थानांतरण अस्वीकार किया।",
  transferLapsed: "{name} ने समय पर स्वीकार नहीं किया; सत्र आपके पास ही है।",
  watchAsked: "उपयोगकर्ता की अनुमति की प्रतीक्षा…",
  watchingLive: "केवल देख रहे हैं: उपयोगकर्ता और एजेंट जानते हैं कि आप यहाँ हैं।",
  recordings: "रिकॉर्डिंग",
  recClose: "रिकॉर्डिंग बंद करें",
  recList: "रिकॉर्ड किए गए सत्र",
  recLoading: "रिकॉर्डिंग लोड हो रही हैं…",
  recUnreachable: "सर्वर से संपर्क नहीं हो पा रहा है।",
  recAnswered: "सर्वर का उत्तर: {status}।",
  recCount: "{n} रिकॉर्डिंग।",
  recNone: "अभी कोई रिकॉर्डिंग नहीं है।",
  recNoAgent: "कोई एजेंट नहीं",
  recNoSite: "अज्ञात साइट",
  recPlay: "चलाएँ",
  recExport: "निर्यात करें",
  recOpening: "रिकॉर्डिंग खोली जा रही है…",
  recPlaying: "{when} का सत्र चल रहा है।",
  recInProgress: "जारी है",
  recDuration: "{m} मिनट {s} सेकंड",
  recMarkPage: "पृष्ठ खुला: {path}",
  recMarkGranted: "नियंत्रण दिया गया",
  recMarkRequested: "नियंत्रण माँगा गया",
  recMarkRevoked: "नियंत्रण वापस लिया गया",
  recMarkAct: "एजेंट की कार्रवाई: {kind}",
  recMarkRefused: "कार्रवाई अस्वीकृत: {reason}",
  recMarkChat: "{name} का संदेश",
  recNoPage: "इस रिकॉर्डिंग में दिखाने के लिए कोई पृष्ठ नहीं है।",
  recPlayback: "चलाने के नियंत्रण",
  recPause: "रोकें",
  recContinue: "जारी रखें",
  recSpeed: "गति",
  recSkip: "निष्क्रिय समय छोड़ें",
  recPosition: "स्थिति",
  recMarkers: "समयरेखा के चिह्न",
  recMarkAt: "{at} पर {label}",
  recScreen: "रिकॉर्ड की गई स्क्रीन",
  recChatTranscript: "चैट का विवरण",
  recNoChat: "कोई चैट नहीं।",
  recAuditEntries: "ऑडिट प्रविष्टियाँ",
  recAudit: "ऑडिट",
  recNoAudit: "कोई ऑडिट प्रविष्टि नहीं।",
  recPage: "रिकॉर्ड किया गया पृष्ठ",
};

export const TABLES: Readonly<Record<Lang, Strings>> = { en: EN, hi: HI };

/** The console's language: the agent's stored choice, else the browser's languages. Pure. */
export function chooseConsoleLang(stored: string | null, browser: readonly string[]): Lang {
  const own = langOf(stored);
  if (own) return own;
  for (const candidate of browser) {
    const lang = langOf(candidate);
    if (lang) return lang;
  }
  return 'en';
}

/** A translator for one language (pure). */
export function translate(lang: Lang, key: Key, vars?: Record<string, string | number>): string {
  return fmt(TABLES[lang][key], vars);
}

/** The language in use: the page's `<html lang>` (English outside a page, e.g. in unit tests). */
export function currentLang(): Lang {
  if (typeof document === 'undefined') return 'en';
  return langOf(document.documentElement.lang) ?? 'en';
}

/** A string of the console in the language in use. */
export function t(key: Key, vars?: Record<string, string | number>): string {
  return translate(currentLang(), key, vars);
}

const LANG_KEY = 'cobrowse:console-lang';

/** The agent's choice of language, remembered in localStorage. */
export const langStore = {
  load(): string | null {
    try {
      return localStorage.getItem(LANG_KEY);
    } catch {
      return null;
    }
  },
  save(lang: Lang): void {
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch {
      /* not remembered */
    }
  },
};

/** Attributes that name a key: `data-i18n` (text) and `data-i18n-<attribute>`. */
const ATTRIBUTES = ['aria-label', 'title', 'placeholder'] as const;

/** Give `el` the text of `key`, and remember the key so a language switch relabels it. */
export function label<T extends HTMLElement>(el: T, key: Key): T {
  el.dataset.i18n = key;
  el.textContent = t(key);
  return el;
}

/** Give `el`'s attribute (aria-label, title, placeholder) the text of `key`, remembered likewise. */
export function attr<T extends Element>(el: T, name: (typeof ATTRIBUTES)[number], key: Key): T {
  el.setAttribute(`data-i18n-${name}`, key);
  el.setAttribute(name, t(key));
  return el;
}

function isKey(value: string | null | undefined): value is Key {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(EN, value);
}

/** Set the language in use and relabel every element under `root` that names a key. */
export function applyLang(doc: Document, lang: Lang): void {
  doc.documentElement.lang = lang;
  for (const el of Array.from(doc.querySelectorAll<HTMLElement>('[data-i18n]'))) {
    if (isKey(el.dataset.i18n)) el.textContent = t(el.dataset.i18n);
  }
  for (const name of ATTRIBUTES) {
    for (const el of Array.from(doc.querySelectorAll(`[data-i18n-${name}]`))) {
      const key = el.getAttribute(`data-i18n-${name}`);
      if (isKey(key)) el.setAttribute(name, t(key));
    }
  }
  const title = doc.querySelector('title');
  if (title) title.textContent = t('pageTitle');
}
