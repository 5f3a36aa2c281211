import { type Locale, toLocale } from "../lib/channels.ts";

/** Every text the bot itself sends, in each supported locale. `{name}` placeholders are filled by {@link t}. */
export const BOT_TEXTS = {
  handover: {
    en: "Thanks for your message! A person from our team will answer you here soon.",
    id: "Terima kasih atas pesan Anda! Tim kami akan segera membalas di sini.",
    pl: "Dziękujemy za wiadomość! Ktoś z naszego zespołu wkrótce odpowie tutaj.",
  },
  outOfHours: {
    en: "Thanks for your message! We're away right now; a person will answer as soon as we're back. Our hours: {hours}.",
    id: "Terima kasih atas pesan Anda! Kami sedang di luar jam kerja; tim kami akan membalas begitu kembali. Jam kerja kami: {hours}.",
    pl: "Dziękujemy za wiadomość! Jesteśmy teraz poza godzinami pracy; odpowiemy, gdy tylko wrócimy. Godziny pracy: {hours}.",
  },
  stopped: {
    en: "You won't get news or offers from us here any more. Replies to your own questions still come through. Send /start to opt back in.",
    id: "Anda tidak akan lagi menerima kabar atau promo dari kami di sini. Jawaban atas pertanyaan Anda tetap kami kirim. Kirim /start untuk berlangganan lagi.",
    pl: "Nie będziesz już dostawać od nas tutaj nowości ani ofert. Odpowiedzi na Twoje pytania nadal będą docierać. Wyślij /start, aby znów je otrzymywać.",
  },
  welcome: {
    en: "Hi! This is {brand}. Ask us anything here: about an order, a product or a delivery. Send /help to see what I can do.",
    id: "Halo! Ini {brand}. Tanyakan apa saja di sini: soal pesanan, produk, atau pengiriman. Kirim /help untuk melihat apa yang bisa saya bantu.",
    pl: "Cześć! Tu {brand}. Pytaj tutaj o wszystko: o zamówienie, produkt czy dostawę. Wyślij /help, aby zobaczyć, co potrafię.",
  },
  resubscribed: {
    en: "Welcome back! You'll get our news and offers here again. Send /stop at any time to opt out.",
    id: "Selamat datang kembali! Anda akan menerima kabar dan promo kami lagi di sini. Kirim /stop kapan saja untuk berhenti.",
    pl: "Witaj ponownie! Znów będziesz dostawać tutaj nasze nowości i oferty. Wyślij /stop, aby w każdej chwili zrezygnować.",
  },
  startByEmail: {
    en: "Thanks! An email's sender can be forged, so /start by email does not sign you up for our offers: sign up on our website or in our chat, where we ask you to confirm your address.",
    id: "Terima kasih! Pengirim email bisa dipalsukan, jadi /start lewat email tidak mendaftarkan Anda untuk promo kami: daftar di situs web atau chat kami, tempat kami meminta Anda mengonfirmasi alamat Anda.",
    pl: "Dziękujemy! Nadawcę e-maila można podrobić, więc /start wysłane e-mailem nie zapisuje Cię na nasze oferty: zapisz się na naszej stronie lub w czacie, gdzie poprosimy o potwierdzenie adresu.",
  },
  help: {
    en: "Write your question and we'll answer here.\n/link: connect this chat with your other accounts (Telegram, Discord, X, web chat)\n/stop: no more news or offers here\n/start: get them again",
    id: "Tulis pertanyaan Anda dan kami akan menjawab di sini.\n/link: hubungkan obrolan ini dengan akun Anda yang lain (Telegram, Discord, X, web chat)\n/stop: berhenti menerima kabar dan promo di sini\n/start: terima lagi",
    pl: "Napisz pytanie, a odpowiemy tutaj.\n/link: połącz ten czat z innymi kontami (Telegram, Discord, X, czat na stronie)\n/stop: koniec nowości i ofert tutaj\n/start: wznów je",
  },
  linkCode: {
    en: "Your link code is {code}. Within {minutes} minutes, send /link {code} to us from your other account (Telegram, Discord, X or the web chat) to connect them.",
    id: "Kode penghubung Anda: {code}. Dalam {minutes} menit, kirim /link {code} kepada kami dari akun Anda yang lain (Telegram, Discord, X, atau web chat) untuk menghubungkannya.",
    pl: "Twój kod połączenia to {code}. W ciągu {minutes} minut wyślij nam /link {code} z innego konta (Telegram, Discord, X lub czat na stronie), aby je połączyć.",
  },
  linked: {
    en: "Done! Your accounts are connected: we'll know it's you wherever you write.",
    id: "Selesai! Akun Anda sudah terhubung: kami akan mengenali Anda di mana pun Anda menulis.",
    pl: "Gotowe! Twoje konta są połączone: rozpoznamy Cię, gdziekolwiek napiszesz.",
  },
  linkInvalid: {
    en: "That code is not valid or has expired. Send /link in your other chat to get a new one.",
    id: "Kode itu tidak valid atau sudah kedaluwarsa. Kirim /link di obrolan Anda yang lain untuk mendapatkan kode baru.",
    pl: "Ten kod jest nieprawidłowy lub wygasł. Wyślij /link w drugim czacie, aby dostać nowy.",
  },
  linkNotByEmail: {
    en: "For your safety, link codes can't be entered by email. Send /link {code} to us in the chat (Telegram, Discord, X or the web chat) instead.",
    id: "Demi keamanan Anda, kode penghubung tidak dapat dimasukkan lewat email. Kirim /link {code} kepada kami di obrolan (Telegram, Discord, X, atau web chat).",
    pl: "Dla Twojego bezpieczeństwa kodów połączenia nie można wpisywać w e-mailu. Wyślij nam /link {code} w czacie (Telegram, Discord, X lub czat na stronie).",
  },
  ratingQuestion: {
    en: "How did we do? Please rate this conversation from 1 (poor) to 5 (excellent).",
    id: "Bagaimana layanan kami? Beri nilai percakapan ini dari 1 (buruk) sampai 5 (sangat baik).",
    pl: "Jak nam poszło? Oceń tę rozmowę od 1 (słabo) do 5 (świetnie).",
  },
  ratingHint: {
    en: "Just reply with a number from 1 to 5.",
    id: "Cukup balas dengan angka 1 sampai 5.",
    pl: "Wystarczy odpowiedzieć liczbą od 1 do 5.",
  },
  ratingThanks: {
    en: "Thank you for your rating!",
    id: "Terima kasih atas penilaian Anda!",
    pl: "Dziękujemy za ocenę!",
  },
  ratingInvalid: {
    en: "Please rate with a number from 1 to 5, for example /rate 5.",
    id: "Beri nilai dengan angka 1 sampai 5, misalnya /rate 5.",
    pl: "Oceń liczbą od 1 do 5, na przykład /rate 5.",
  },
  unsubscribeTitle: {
    en: "Unsubscribe",
    id: "Berhenti berlangganan",
    pl: "Wypisz się",
  },
  unsubscribeQuestion: {
    en: "Stop getting news and offers from {brand} via {channel}?",
    id: "Berhenti menerima kabar dan promo dari {brand} melalui {channel}?",
    pl: "Zrezygnować z nowości i ofert od {brand} przez {channel}?",
  },
  unsubscribeNote: {
    en: "Messages about your own orders and questions will still reach you.",
    id: "Pesan tentang pesanan dan pertanyaan Anda sendiri tetap akan kami kirim.",
    pl: "Wiadomości o Twoich zamówieniach i pytaniach nadal będą do Ciebie docierać.",
  },
  unsubscribeButton: {
    en: "Unsubscribe",
    id: "Berhenti berlangganan",
    pl: "Wypisz mnie",
  },
  unsubscribedTitle: {
    en: "You are unsubscribed",
    id: "Anda sudah berhenti berlangganan",
    pl: "Wypisano Cię",
  },
  unsubscribedBody: {
    en: "You won't get news or offers from {brand} via {channel} any more.",
    id: "Anda tidak akan lagi menerima kabar atau promo dari {brand} melalui {channel}.",
    pl: "Nie będziesz już dostawać nowości ani ofert od {brand} przez {channel}.",
  },
  unsubscribeBrokenTitle: {
    en: "This link doesn't work",
    id: "Tautan ini tidak berfungsi",
    pl: "Ten link nie działa",
  },
  unsubscribeBrokenBody: {
    en: "The unsubscribe link is incomplete or was changed. Open it again from the message you received, or copy the whole link into your browser.",
    id: "Tautan berhenti berlangganan ini tidak lengkap atau telah diubah. Buka lagi dari pesan yang Anda terima, atau salin seluruh tautan ke peramban Anda.",
    pl: "Link do wypisania się jest niepełny lub został zmieniony. Otwórz go ponownie z otrzymanej wiadomości albo skopiuj cały link do przeglądarki.",
  },
  confirmSubscriptionTitle: {
    en: "Get offers by email",
    id: "Dapatkan promo lewat email",
    pl: "Oferty e-mailem",
  },
  confirmSubscriptionQuestion: {
    en: "Get news and offers from {brand} at {address}?",
    id: "Terima kabar dan promo dari {brand} di {address}?",
    pl: "Otrzymywać nowości i oferty od {brand} na adres {address}?",
  },
  confirmSubscriptionNote: {
    en: "Every email has a link to unsubscribe whenever you like.",
    id: "Setiap email memiliki tautan untuk berhenti berlangganan kapan saja.",
    pl: "Każdy e-mail ma link, którym możesz się wypisać w dowolnej chwili.",
  },
  confirmSubscriptionButton: {
    en: "Yes, send me offers",
    id: "Ya, kirimi saya promo",
    pl: "Tak, wysyłajcie mi oferty",
  },
  subscriptionConfirmedTitle: {
    en: "You are subscribed",
    id: "Anda sudah berlangganan",
    pl: "Zapisano Cię",
  },
  subscriptionConfirmedBody: {
    en: "{brand} will send news and offers to {address}. Every email has a link to unsubscribe.",
    id: "{brand} akan mengirim kabar dan promo ke {address}. Setiap email memiliki tautan untuk berhenti berlangganan.",
    pl: "{brand} będzie wysyłać nowości i oferty na adres {address}. Każdy e-mail ma link do wypisania się.",
  },
  confirmSubscriptionBrokenBody: {
    en: "The confirmation link is incomplete, was changed or has expired (links work for 7 days). Ask for a new one where you signed up.",
    id: "Tautan konfirmasi ini tidak lengkap, telah diubah, atau sudah kedaluwarsa (tautan berlaku 7 hari). Minta tautan baru di tempat Anda mendaftar.",
    pl: "Link potwierdzający jest niepełny, został zmieniony lub wygasł (link działa 7 dni). Poproś o nowy link tam, gdzie podano ten adres.",
  },
  confirmSubscriptionStaleBody: {
    en: "The address this link was sent to is no longer one we have for you, so nothing was changed. Ask for a new link where you signed up.",
    id: "Alamat tujuan tautan ini bukan lagi alamat yang kami miliki untuk Anda, jadi tidak ada yang diubah. Minta tautan baru di tempat Anda mendaftar.",
    pl: "Adresu, na który wysłano ten link, nie mamy już dla Ciebie, więc nic nie zmieniono. Poproś o nowy link tam, gdzie podano adres.",
  },
  channelEmail: {
    en: "email",
    id: "email",
    pl: "e-mail",
  },
  channelTelegram: {
    en: "Telegram",
    id: "Telegram",
    pl: "Telegram",
  },
  channelDiscord: {
    en: "Discord",
    id: "Discord",
    pl: "Discord",
  },
  channelX: {
    en: "X",
    id: "X",
    pl: "X",
  },
  channelWebchat: {
    en: "the web chat",
    id: "obrolan web",
    pl: "czat na stronie",
  },
  channelWhatsapp: {
    en: "WhatsApp",
    id: "WhatsApp",
    pl: "WhatsApp",
  },
  smsHelp: {
    en: "Write your question and we'll answer by SMS. Reply STOP to stop news and offers, START to get them again. Msg & data rates may apply.",
    id: "Tulis pertanyaan Anda dan kami akan menjawab lewat SMS. Balas STOP untuk berhenti menerima kabar dan promo, START untuk menerimanya lagi. Tarif SMS berlaku.",
    pl: "Napisz pytanie, a odpowiemy SMS-em. Odpisz STOP, aby nie dostawać nowości i ofert, START, aby znów je otrzymywać. Obowiązują opłaty operatora.",
  },
  smsStopped: {
    en: "You're unsubscribed: no more news or offers by SMS. Answers to your own questions still come. Reply START to opt back in.",
    id: "Anda sudah berhenti berlangganan: tidak ada lagi kabar atau promo lewat SMS. Jawaban atas pertanyaan Anda tetap dikirim. Balas START untuk berlangganan lagi.",
    pl: "Wypisano Cię: koniec nowości i ofert SMS-em. Odpowiedzi na Twoje pytania nadal będą docierać. Odpisz START, aby znów je otrzymywać.",
  },
  smsResubscribed: {
    en: "Welcome back! You'll get our news and offers by SMS again. Reply STOP at any time to opt out.",
    id: "Selamat datang kembali! Anda akan menerima kabar dan promo kami lewat SMS lagi. Balas STOP kapan saja untuk berhenti.",
    pl: "Witaj ponownie! Znów będziesz dostawać nasze nowości i oferty SMS-em. Odpisz STOP, aby w każdej chwili zrezygnować.",
  },
  smsWelcome: {
    en: "Hi! This is {brand}. Ask us anything here by SMS. Reply HELP for help, STOP to opt out.",
    id: "Halo! Ini {brand}. Tanyakan apa saja lewat SMS ini. Balas HELP untuk bantuan, STOP untuk berhenti.",
    pl: "Cześć! Tu {brand}. Pytaj nas tutaj o wszystko SMS-em. Odpisz HELP po pomoc, STOP, aby zrezygnować.",
  },
  channelSms: {
    en: "SMS",
    id: "SMS",
    pl: "SMS",
  },
} as const satisfies Record<string, Record<Locale, string>>;

/** The name of one bot text. */
export type BotTextKey = keyof typeof BOT_TEXTS;

/** A bot text in the customer's locale (English for any other), with `{placeholders}` filled. */
export function t(
  locale: string | null | undefined,
  key: BotTextKey,
  vars: Record<string, string | number> = {},
): string {
  const text: string = BOT_TEXTS[key][toLocale(locale)];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}
