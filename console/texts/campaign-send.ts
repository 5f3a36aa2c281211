import { defineTexts } from "./define.ts";

/** The campaign page's send: progress per channel, the send-rate and variant charts, and "Send me a test". */
export const CAMPAIGN_SEND_TEXTS = defineTexts(
  {
    "campaigns.send.heading": "Sending",
    "campaigns.send.headingDay": "Sending in the last 24 hours",
    "campaigns.send.headingRun": "The send that started at {time}",
    "campaigns.send.headingRunDate": "The send of {date}, {time}",
    "campaigns.send.notYet": "This schedule has not sent anything yet.",
    "campaigns.send.nothing": "No messages in this send.",
    "campaigns.send.running": "Sending: {done} of {total} messages done.",
    "campaigns.send.finished": "Finished: all {total} messages done.",
    "campaigns.send.live": "The figures update by themselves while this page is open.",
    "campaigns.send.channel": "Channel",
    "campaigns.send.all": "All channels",
    "campaigns.send.status.planned": "Planned",
    "campaigns.send.status.queued": "Queued",
    "campaigns.send.status.sent": "Sent",
    "campaigns.send.status.failed": "Failed",
    "campaigns.send.status.suppressed": "Suppressed",
    "campaigns.send.status.skipped": "Skipped",
    "campaigns.send.progress": "Done",
    "campaigns.send.progressOf": "{channel}: {percent} done",
    "campaigns.send.rateTitle": "Messages sent per minute",
    "campaigns.send.rateDescription":
      "Messages sent per minute from {from} to {to}, at most {peak} a minute.",
    "campaigns.send.ratePerMinute": "Sent per minute",
    "campaigns.send.variantsTitle": "Results per variant",
    "campaigns.send.variantsDescription": "Sent, opened, clicked and conversions of the variants {variants}.",
    "campaigns.send.messages": "Messages",
    "campaigns.test.button": "Send me a test",
    "campaigns.test.heading": "Send me a test",
    "campaigns.test.intro":
      "This message, as {name} would get it, goes to your own address {email}, with [Test] before the subject. The customer gets nothing and the campaign's results do not count it.",
    "campaigns.test.pickFirst":
      "To send yourself a test, search for a customer above and pick one: the test shows their data.",
    "campaigns.test.submit": "Send me this test",
    "campaigns.test.subjectPrefix": "[Test]",
    "campaigns.test.sent": "Test sent to {email}. It is not counted in the campaign's results.",
    "campaigns.test.noEmail":
      "Your account has no email address a test can go to ({email}). Ask an admin to set one: tests go only to your own address.",
    "campaigns.test.unavailable": "Email is not set up on this server, so no test can be sent.",
    "campaigns.test.throttled": "You have sent several tests in a short time. Try again {when}.",
    "campaigns.test.failed":
      "The test could not be sent: the email provider refused it or did not answer. The server log has the detail.",
    "campaigns.test.chatNote":
      "Tests go by email: a staff account has no chat of its own on Telegram or Discord to send them to.",
    "campaigns.test.textOnly":
      "This campaign has no email version for this customer: the test carries the text of its {channel} message.",
  },
  {
    "campaigns.send.heading": "Pengiriman",
    "campaigns.send.headingDay": "Pengiriman dalam 24 jam terakhir",
    "campaigns.send.headingRun": "Pengiriman yang dimulai pukul {time}",
    "campaigns.send.headingRunDate": "Pengiriman {date}, {time}",
    "campaigns.send.notYet": "Jadwal ini belum mengirim apa pun.",
    "campaigns.send.nothing": "Tidak ada pesan dalam pengiriman ini.",
    "campaigns.send.running": "Sedang mengirim: {done} dari {total} pesan selesai.",
    "campaigns.send.finished": "Selesai: semua {total} pesan sudah diproses.",
    "campaigns.send.live": "Angka-angka ini diperbarui sendiri selama halaman ini terbuka.",
    "campaigns.send.channel": "Kanal",
    "campaigns.send.all": "Semua kanal",
    "campaigns.send.status.planned": "Direncanakan",
    "campaigns.send.status.queued": "Dalam antrean",
    "campaigns.send.status.sent": "Terkirim",
    "campaigns.send.status.failed": "Gagal",
    "campaigns.send.status.suppressed": "Diblokir",
    "campaigns.send.status.skipped": "Dilewati",
    "campaigns.send.progress": "Selesai",
    "campaigns.send.progressOf": "{channel}: {percent} selesai",
    "campaigns.send.rateTitle": "Pesan terkirim per menit",
    "campaigns.send.rateDescription":
      "Pesan terkirim per menit dari {from} sampai {to}, paling banyak {peak} per menit.",
    "campaigns.send.ratePerMinute": "Terkirim per menit",
    "campaigns.send.variantsTitle": "Hasil per varian",
    "campaigns.send.variantsDescription": "Terkirim, dibuka, diklik, dan konversi dari varian {variants}.",
    "campaigns.send.messages": "Pesan",
    "campaigns.test.button": "Kirimi saya uji coba",
    "campaigns.test.heading": "Kirimi saya uji coba",
    "campaigns.test.intro":
      "Pesan ini, seperti yang akan diterima {name}, dikirim ke alamat Anda sendiri {email}, dengan [Uji] di depan subjeknya. Pelanggan tidak menerima apa pun dan hasil kampanye tidak menghitungnya.",
    "campaigns.test.pickFirst":
      "Untuk mengirim uji coba ke diri sendiri, cari pelanggan di atas lalu pilih satu: uji coba memakai datanya.",
    "campaigns.test.submit": "Kirimi saya uji coba ini",
    "campaigns.test.subjectPrefix": "[Uji]",
    "campaigns.test.sent": "Uji coba terkirim ke {email}. Tidak dihitung dalam hasil kampanye.",
    "campaigns.test.noEmail":
      "Akun Anda tidak punya alamat email untuk uji coba ({email}). Minta admin mengaturnya: uji coba hanya dikirim ke alamat Anda sendiri.",
    "campaigns.test.unavailable": "Email belum diatur di server ini, jadi uji coba tidak bisa dikirim.",
    "campaigns.test.throttled":
      "Anda sudah mengirim beberapa uji coba dalam waktu singkat. Coba lagi {when}.",
    "campaigns.test.failed":
      "Uji coba tidak dapat dikirim: penyedia email menolaknya atau tidak menjawab. Rinciannya ada di log server.",
    "campaigns.test.chatNote":
      "Uji coba dikirim lewat email: akun staf tidak punya obrolan sendiri di Telegram atau Discord untuk menerimanya.",
    "campaigns.test.textOnly":
      "Kampanye ini tidak punya versi email untuk pelanggan ini: uji coba memuat teks pesan {channel}-nya.",
  },
  {
    "campaigns.send.heading": "Wysyłka",
    "campaigns.send.headingDay": "Wysyłka z ostatnich 24 godzin",
    "campaigns.send.headingRun": "Wysyłka rozpoczęta o {time}",
    "campaigns.send.headingRunDate": "Wysyłka z {date}, {time}",
    "campaigns.send.notYet": "Ten harmonogram jeszcze niczego nie wysłał.",
    "campaigns.send.nothing": "W tej wysyłce nie ma wiadomości.",
    "campaigns.send.running": "Trwa wysyłka: gotowe {done} z {total} wiadomości.",
    "campaigns.send.finished": "Zakończona: wszystkie wiadomości ({total}) gotowe.",
    "campaigns.send.live": "Liczby odświeżają się same, dopóki ta strona jest otwarta.",
    "campaigns.send.channel": "Kanał",
    "campaigns.send.all": "Wszystkie kanały",
    "campaigns.send.status.planned": "Zaplanowane",
    "campaigns.send.status.queued": "W kolejce",
    "campaigns.send.status.sent": "Wysłane",
    "campaigns.send.status.failed": "Nieudane",
    "campaigns.send.status.suppressed": "Zablokowane",
    "campaigns.send.status.skipped": "Pominięte",
    "campaigns.send.progress": "Gotowe",
    "campaigns.send.progressOf": "{channel}: gotowe {percent}",
    "campaigns.send.rateTitle": "Wiadomości wysłane na minutę",
    "campaigns.send.rateDescription":
      "Wiadomości wysłane na minutę od {from} do {to}, najwięcej {peak} na minutę.",
    "campaigns.send.ratePerMinute": "Wysłane na minutę",
    "campaigns.send.variantsTitle": "Wyniki wariantów",
    "campaigns.send.variantsDescription": "Wysłane, otwarte, kliknięte i konwersje wariantów {variants}.",
    "campaigns.send.messages": "Wiadomości",
    "campaigns.test.button": "Wyślij mi test",
    "campaigns.test.heading": "Wyślij mi test",
    "campaigns.test.intro":
      "Ta wiadomość, taka jak dostałby ją klient {name}, trafi na Twój własny adres {email}, z [Test] przed tematem. Klient nic nie dostanie, a wyniki kampanii jej nie policzą.",
    "campaigns.test.pickFirst":
      "Aby wysłać sobie test, wyszukaj powyżej klienta i wybierz go: test pokaże jego dane.",
    "campaigns.test.submit": "Wyślij mi ten test",
    "campaigns.test.subjectPrefix": "[Test]",
    "campaigns.test.sent": "Test wysłany na {email}. Nie wlicza się do wyników kampanii.",
    "campaigns.test.noEmail":
      "Twoje konto nie ma adresu e-mail, na który można wysłać test ({email}). Poproś administratora o jego ustawienie: testy trafiają tylko na Twój własny adres.",
    "campaigns.test.unavailable": "Na tym serwerze nie skonfigurowano poczty, więc nie można wysłać testu.",
    "campaigns.test.throttled": "Wysłano kilka testów w krótkim czasie. Spróbuj ponownie {when}.",
    "campaigns.test.failed":
      "Nie udało się wysłać testu: dostawca poczty go odrzucił albo nie odpowiedział. Szczegóły są w logu serwera.",
    "campaigns.test.chatNote":
      "Testy idą e-mailem: konto pracownika nie ma własnego czatu na Telegramie ani Discordzie, na który można by je wysłać.",
    "campaigns.test.textOnly":
      "Ta kampania nie ma wersji e-mail dla tego klienta: test zawiera tekst jej wiadomości ({channel}).",
  },
);
