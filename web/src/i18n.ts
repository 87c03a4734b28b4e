/**
 * Visitor-facing text (widget and the runtime's overlays) in English and Hindi. One
 * table per language; `{name}`-style placeholders are filled by `fmt`. Pure.
 *
 * The language comes from `CoBrowse.options.lang`, else the page's `<html lang>`, else
 * the browser's language; anything that is not Hindi is English. The English accessible
 * names of the contract ("Co-browse", "Allow", "Deny", "Stop", "Allow control", "Take back
 * control") must not change.
 */

export type Lang = 'en' | 'hi';
export const LANGS: readonly Lang[] = ['en', 'hi'];

export const EN = {
  launch: 'Co-browse',
  pinTitle: 'Co-browse PIN',
  gettingPin: 'Getting a PIN…',
  cancel: 'Cancel',
  readPin: 'Read this PIN to the helpdesk agent',
  validFor: 'Valid for {time}',
  pinExpired: 'This PIN has expired',
  close: 'Close',
  newPin: 'New PIN',
  consentTitle: 'Co-browse request',
  consentText:
    '{name} from the helpdesk wants to see this browser tab. Fields with personal data stay hidden. ' +
    'A supervisor may also watch; the bar always names who is watching.',
  connecting: 'Connecting…',
  allow: 'Allow',
  deny: 'Deny',
  barLabel: 'Co-browsing',
  viewing: '{name} is viewing this tab',
  /** Recordings: the site records its sessions (consent dialog and session bar). */
  recorded: 'This session is recorded',
  controlling: '{name} is controlling this tab',
  reconnecting: 'Reconnecting…',
  chat: 'Chat',
  unread: '{n} unread',
  takeBack: 'Take back control',
  stop: 'Stop',
  // the bar: moving, minimising, who else is watching
  moveBar: 'Move bar',
  barMoved: 'Bar moved to the {place}',
  placeBottom: 'bottom',
  placeBottomLeft: 'bottom left',
  placeTopLeft: 'top left',
  placeTop: 'top',
  placeTopRight: 'top right',
  placeBottomRight: 'bottom right',
  minimise: 'Minimise',
  expand: 'Expand',
  sharingOn: 'Sharing this tab',
  participants: 'Also watching: {names}',
  watchTitle: 'A supervisor asks to watch',
  watchText:
    '{name}, a helpdesk supervisor, asks to watch this tab too. They see what {agent} sees and cannot act on it. ' +
    'Private fields stay hidden.',
  allowWatch: 'Allow',
  denyWatch: 'Deny',
  handedOver: '{name} is now helping you.',
  controlTitle: 'Control request',
  controlText:
    '{name} asks to control this tab: click, type and scroll for you. Private fields stay blocked. ' +
    'You can take back control at any time (Escape).',
  allowControl: 'Allow control',
  denyControl: 'Deny',
  theAgent: 'The agent',
  unknownAgent: 'A helpdesk agent',
  overlayTitle: 'Co-browsing: {page}',
  // chat panel
  chatTitle: 'Chat',
  chatLog: 'Conversation',
  chatMessage: 'Message',
  chatSend: 'Send',
  chatYou: 'You',
  chatEmpty: 'No messages yet.',
  hideChat: 'Hide',
  // a new message while the chat is closed (toast and announcement)
  chatFrom: 'Message from {name}: {text}',
  reply: 'Reply',
  dismiss: 'Dismiss',
  // guidance
  pointerLabel: "{name}'s pointer",
  // the agent's actions (toasts)
  thePage: 'the page',
  actClicked: '{name} clicked {on}',
  actTyped: '{name} typed in {on}',
  actPressed: '{name} pressed {key}',
  actScrolled: '{name} scrolled {on}',
  actBack: '{name} went back',
  actForward: '{name} went forward',
  actReload: '{name} reloaded the page',
  actOpened: '{name} opened {url}',
  actFailed: '{name} could not use {on}: {reason}.',
  chooseFile: '{name} asks you to choose a file: click {on} and pick the file yourself.',
  reasonMasked: 'this field is private (masked), so the agent cannot use it',
  reasonRefused: 'this site does not let the agent press this',
  reasonNotFound: 'that element is not on the page any more',
  reasonNotEditable: 'that element does not take text',
  reasonBadUrl: 'only web addresses (http or https) can be opened',
  reasonOtherSite: 'only pages of this site can be opened',
  reasonFileInput: 'only you can choose a file',
  reasonFailed: 'the action failed',
  // documents
  offerTitle: 'A file for you',
  offerText: '{name} offers you a file: {file} ({size})',
  download: 'Download',
  decline: 'Decline',
  downloading: 'Downloading…',
  declined: 'You declined the file.',
  bytes: '{n} bytes',
  // session ends and failures
  endedStopped: 'Co-browsing ended',
  endedAgentLeft: 'The helpdesk agent left. Co-browsing ended.',
  endedDenied: 'You declined. Nothing was shared.',
  endedTimeout: 'The request was not answered in time. Nothing was shared.',
  endedAway: 'Co-browsing ended because this page was away too long.',
  endedAgentGone: "The agent's connection was lost. Co-browsing ended.",
  endedMax: 'Co-browsing ended: the time limit was reached.',
  endedAdmin: 'Co-browsing was ended by the helpdesk.',
  endedTooLarge: 'This page is too large to share. Co-browsing ended.',
  // the end of proxy mode: what could not be carried back to the site
  carryTitle: 'Back to the site',
  carryFailed:
    'What changed during co-browsing (signing in or out, for example) could not be carried back to this site. ' +
    'You may need to sign in again.',
  carryElsewhere: 'Changes on {hosts} could not be carried back. You may need to sign in there again.',
  carryContinue: 'Continue',
  startFailed: 'Co-browsing failed to start.',
  unreachable: 'Could not reach the co-browsing service. Please try again.',
  unavailable: 'Co-browsing is not available right now. Please try again later.',
  tooMany: 'Too many attempts. Please wait a moment and try again.',
} as const;

export type Key = keyof typeof EN;
export type Strings = Readonly<Record<Key, string>>;

export const HI: Strings = {
  launch: 'स्क्रीन साझा करें',
  pinTitle: 'स्क्रीन साझा करने का पिन',
  gettingPin: 'पिन बनाया जा रहा है…',
  cancel: 'रद्द करें',
  readPin: 'कृपया यह पिन हेल्पडेस्क एजेंट को बताएँ',
  validFor: 'शेष समय: {time}',
  pinExpired: 'इस पिन की समय-सीमा समाप्त हो गई है',
  close: 'बंद करें',
  newPin: 'नया पिन',
  consentTitle: 'स्क्रीन साझा करने का अनुरोध',
  consentText:
    'हेल्पडेस्क से {name} आपके साथ यह ब्राउज़र टैब देखना चाहते हैं। व्यक्तिगत जानकारी वाले फ़ील्ड उन्हें नहीं दिखेंगे। ' +
    'कोई पर्यवेक्षक भी देख सकते हैं; कौन देख रहा है, यह बार में हमेशा लिखा रहता है।',
  connecting: 'जोड़ा जा रहा है…',
  allow: 'अनुमति दें',
  deny: 'अस्वीकार करें',
  barLabel: 'स्क्रीन साझा करना',
  viewing: '{name} यह टैब देख रहे हैं',
  recorded: 'यह सत्र रिकॉर्ड किया जा रहा है',
  controlling: '{name} इस टैब को नियंत्रित कर रहे हैं',
  reconnecting: 'फिर से जोड़ा जा रहा है…',
  chat: 'चैट',
  unread: '{n} अपठित',
  takeBack: 'नियंत्रण वापस लें',
  stop: 'रोकें',
  moveBar: 'बार की जगह बदलें',
  barMoved: 'बार अब {place} है',
  placeBottom: 'नीचे बीच में',
  placeBottomLeft: 'नीचे बाईं ओर',
  placeTopLeft: 'ऊपर बाईं ओर',
  placeTop: 'ऊपर बीच में',
  placeTopRight: 'ऊपर दाईं ओर',
  placeBottomRight: 'नीचे दाईं ओर',
  minimise: 'छोटा करें',
  expand: 'बड़ा करें',
  sharingOn: 'यह टैब साझा हो रहा है',
  participants: 'साथ में देख रहे हैं: {names}',
  watchTitle: 'एक पर्यवेक्षक देखना चाहते हैं',
  watchText:
    '{name}, हेल्पडेस्क के पर्यवेक्षक, भी यह टैब देखना चाहते हैं। वे वही देखेंगे जो {agent} देख रहे हैं, और कुछ बदल नहीं सकेंगे। ' +
    'निजी फ़ील्ड छिपे रहेंगे।',
  allowWatch: 'अनुमति दें',
  denyWatch: 'अस्वीकार करें',
  handedOver: 'अब {name} आपकी सहायता कर रहे हैं।',
  controlTitle: 'नियंत्रण का अनुरोध',
  controlText:
    '{name} इस टैब का नियंत्रण चाहते हैं, ताकि वे आपके लिए क्लिक, टाइप और स्क्रॉल कर सकें। ' +
    'निजी फ़ील्ड उनके लिए बंद रहेंगे। आप कभी भी नियंत्रण वापस ले सकते हैं (Escape कुंजी)।',
  allowControl: 'नियंत्रण की अनुमति दें',
  denyControl: 'अस्वीकार करें',
  theAgent: 'एजेंट',
  unknownAgent: 'हेल्पडेस्क एजेंट',
  overlayTitle: 'साझा किया जा रहा पृष्ठ: {page}',
  chatTitle: 'चैट',
  chatLog: 'बातचीत',
  chatMessage: 'संदेश',
  chatSend: 'भेजें',
  chatYou: 'आप',
  chatEmpty: 'अभी कोई संदेश नहीं है।',
  hideChat: 'छिपाएँ',
  chatFrom: '{name} का संदेश: {text}',
  reply: 'जवाब दें',
  dismiss: 'हटाएँ',
  pointerLabel: '{name} का पॉइंटर',
  thePage: 'पृष्ठ',
  actClicked: '{name} ने {on} पर क्लिक किया',
  actTyped: '{name} ने {on} में टाइप किया',
  actPressed: '{name} ने {key} कुंजी दबाई',
  actScrolled: '{name} ने {on} स्क्रॉल किया',
  actBack: '{name} पिछले पृष्ठ पर गए',
  actForward: '{name} अगले पृष्ठ पर गए',
  actReload: '{name} ने पृष्ठ दोबारा लोड किया',
  actOpened: '{name} ने {url} खोला',
  actFailed: '{name} {on} का उपयोग नहीं कर सके: {reason}।',
  chooseFile: '{name} चाहते हैं कि आप एक फ़ाइल चुनें: कृपया {on} पर क्लिक करके फ़ाइल स्वयं चुनें।',
  reasonMasked: 'यह फ़ील्ड निजी (छिपा हुआ) है, इसलिए एजेंट इसका उपयोग नहीं कर सकते',
  reasonRefused: 'यह साइट एजेंट को इसे दबाने की अनुमति नहीं देती',
  reasonNotFound: 'वह बटन या फ़ील्ड अब पृष्ठ पर नहीं है',
  reasonNotEditable: 'उसमें कुछ लिखा नहीं जा सकता',
  reasonBadUrl: 'केवल वेब पते (http या https) खोले जा सकते हैं',
  reasonOtherSite: 'केवल इसी साइट के पृष्ठ खोले जा सकते हैं',
  reasonFileInput: 'फ़ाइल केवल आप ही चुन सकते हैं',
  reasonFailed: 'कार्रवाई पूरी नहीं हो सकी',
  offerTitle: 'आपके लिए एक फ़ाइल',
  offerText: '{name} आपको एक फ़ाइल भेज रहे हैं: {file} ({size})',
  download: 'डाउनलोड करें',
  decline: 'अस्वीकार करें',
  downloading: 'डाउनलोड हो रहा है…',
  declined: 'आपने फ़ाइल अस्वीकार कर दी।',
  bytes: '{n} बाइट',
  endedStopped: 'सत्र समाप्त हुआ। स्क्रीन अब साझा नहीं हो रही है।',
  endedAgentLeft: 'हेल्पडेस्क एजेंट चले गए। सत्र समाप्त हुआ।',
  endedDenied: 'आपने अस्वीकार किया। कुछ भी साझा नहीं किया गया।',
  endedTimeout: 'अनुरोध का समय पर उत्तर नहीं दिया गया। कुछ भी साझा नहीं किया गया।',
  endedAway: 'यह पृष्ठ बहुत देर तक बंद रहा, इसलिए सत्र समाप्त हुआ।',
  endedAgentGone: 'एजेंट का कनेक्शन टूट गया। सत्र समाप्त हुआ।',
  endedMax: 'समय-सीमा पूरी होने के कारण सत्र समाप्त हुआ।',
  endedAdmin: 'हेल्पडेस्क ने सत्र समाप्त कर दिया।',
  endedTooLarge: 'यह पृष्ठ साझा करने के लिए बहुत बड़ा है। सत्र समाप्त हुआ।',
  carryTitle: 'साइट पर वापस',
  carryFailed:
    'स्क्रीन साझा करने के दौरान हुए बदलाव (जैसे लॉग इन या लॉग आउट) इस साइट पर वापस नहीं लाए जा सके। ' +
    'आपको फिर से लॉग इन करना पड़ सकता है।',
  carryElsewhere: '{hosts} पर हुए बदलाव वापस नहीं लाए जा सके। आपको वहाँ फिर से लॉग इन करना पड़ सकता है।',
  carryContinue: 'जारी रखें',
  startFailed: 'स्क्रीन साझा करना शुरू नहीं हो सका।',
  unreachable: 'स्क्रीन साझा करने की सेवा से संपर्क नहीं हो सका। कृपया फिर से प्रयास करें।',
  unavailable: 'स्क्रीन साझा करने की सेवा अभी उपलब्ध नहीं है। कृपया कुछ समय बाद प्रयास करें।',
  tooMany: 'बहुत अधिक प्रयास हुए। कृपया थोड़ी देर रुककर फिर से प्रयास करें।',
};

export const TABLES: Readonly<Record<Lang, Strings>> = { en: EN, hi: HI };

/** "hi", "hi-IN", "HI_in" → "hi"; anything else (or nothing) → null. */
export function langOf(value: unknown): Lang | null {
  if (typeof value !== 'string') return null;
  const primary = value.trim().toLowerCase().split(/[-_]/)[0];
  return primary === 'hi' ? 'hi' : primary === 'en' ? 'en' : null;
}

/**
 * The language to use: the site's option, else the page's `lang`, else the browser's;
 * the first one given decides (an unsupported one means English). Default English.
 */
export function chooseLang(option: unknown, pageLang: string | null | undefined, browserLang: string | null | undefined): Lang {
  for (const candidate of [option, pageLang, browserLang]) {
    if (typeof candidate === 'string' && candidate.trim() !== '') return langOf(candidate) ?? 'en';
  }
  return 'en';
}

/** Fill `{name}` placeholders. */
export function fmt(template: string, vars: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
  );
}

/** A translator for one language. */
export interface Translator {
  readonly lang: Lang;
  readonly s: Strings;
  t(key: Key, vars?: Record<string, string | number>): string;
  /** An English message from this module (e.g. an ended message) in this language; others unchanged. */
  local(english: string): string;
  /** "47 KB", "1.2 MB", "512 bytes". */
  size(bytes: number): string;
}

let reverse: Map<string, Key> | null = null;

export function translator(lang: Lang): Translator {
  const s = TABLES[lang];
  return {
    lang,
    s,
    t: (key, vars) => fmt(s[key], vars),
    local: (english) => {
      if (lang === 'en') return english;
      reverse ??= new Map((Object.keys(EN) as Key[]).map((k) => [EN[k] as string, k]));
      const key = reverse.get(english);
      return key ? s[key] : english;
    },
    size: (bytes) => {
      if (bytes < 1024) return fmt(s.bytes, { n: bytes });
      if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
      return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
    },
  };
}

/** The visitor-facing text of a refusal reason (`act_result.reason`). */
export function reasonKey(reason: string | null): Key | null {
  switch (reason) {
    case 'masked':
      return 'reasonMasked';
    case 'refused':
      return 'reasonRefused';
    case 'not_found':
      return 'reasonNotFound';
    case 'not_editable':
      return 'reasonNotEditable';
    case 'bad_url':
      return 'reasonBadUrl';
    case 'other_site':
      return 'reasonOtherSite';
    case 'file_input':
      return 'reasonFileInput';
    case null:
    case '':
    case 'failed':
      return 'reasonFailed';
    default:
      return null;
  }
}
