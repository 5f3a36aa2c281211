import { defineTexts } from "./define.ts";

/** The canned responses admin page. */
export const CANNED_TEXTS = defineTexts(
  {
    "canned.title": "Canned responses",
    "canned.backToInbox": "Back to the inbox",
    "canned.intro":
      "Ready answers staff insert in the reply box. Each shortcut can exist once per language; customers get the one in their language, else the English one.",
    "canned.placeholders": "Placeholders filled in when a response is inserted:",
    "canned.fallback":
      "Give a placeholder a fallback for customers without that value, such as {example}. Without one, a reply whose placeholder is empty is not sent until someone writes the words in.",
    "canned.shortcut": "Shortcut",
    "canned.shortcutHint": "Letters, digits, - and _, such as shipping or refund-policy.",
    "canned.locale": "Language",
    "canned.titleField": "Title",
    "canned.body": "Text",
    "canned.actions": "Actions",
    "canned.edit": "Edit",
    "canned.delete": "Delete",
    "canned.confirmDelete": "Delete the canned response /{shortcut}?",
    "canned.none": "No canned responses yet. Add the answers you give most often below.",
    "canned.addHeading": "Add a canned response",
    "canned.editHeading": "Edit the canned response",
    "canned.add": "Add",
    "canned.save": "Save",
    "canned.cancel": "Cancel",
    "canned.added": "The canned response has been added.",
    "canned.saved": "The canned response has been saved.",
    "canned.deleted": "The canned response has been deleted.",
    "canned.invalid":
      "Check the form: the shortcut takes letters, digits, - and _ (up to 40), and the title and text cannot be empty.",
    "canned.exists":
      "There is already a /{shortcut} response in {locale}. Edit that one, or pick another shortcut.",
  },
  {
    "canned.title": "Balasan cepat",
    "canned.backToInbox": "Kembali ke kotak masuk",
    "canned.intro":
      "Jawaban siap pakai yang disisipkan staf ke kotak balasan. Setiap pintasan hanya boleh ada satu per bahasa; pelanggan mendapat versi dalam bahasanya, atau versi bahasa Inggris.",
    "canned.placeholders": "Penanda yang diisi saat balasan disisipkan:",
    "canned.fallback":
      "Beri penanda nilai cadangan untuk pelanggan yang tidak memilikinya, misalnya {example}. Tanpa itu, balasan dengan penanda kosong tidak dikirim sampai seseorang menuliskan kata-katanya.",
    "canned.shortcut": "Pintasan",
    "canned.shortcutHint": "Huruf, angka, - dan _, misalnya pengiriman atau kebijakan-refund.",
    "canned.locale": "Bahasa",
    "canned.titleField": "Judul",
    "canned.body": "Teks",
    "canned.actions": "Tindakan",
    "canned.edit": "Ubah",
    "canned.delete": "Hapus",
    "canned.confirmDelete": "Hapus balasan cepat /{shortcut}?",
    "canned.none": "Belum ada balasan cepat. Tambahkan jawaban yang paling sering Anda berikan di bawah.",
    "canned.addHeading": "Tambah balasan cepat",
    "canned.editHeading": "Ubah balasan cepat",
    "canned.add": "Tambah",
    "canned.save": "Simpan",
    "canned.cancel": "Batal",
    "canned.added": "Balasan cepat sudah ditambahkan.",
    "canned.saved": "Balasan cepat sudah disimpan.",
    "canned.deleted": "Balasan cepat sudah dihapus.",
    "canned.invalid":
      "Periksa formulir: pintasan hanya berisi huruf, angka, - dan _ (maksimal 40), serta judul dan teks tidak boleh kosong.",
    "canned.exists":
      "Sudah ada balasan /{shortcut} dalam bahasa {locale}. Ubah yang itu, atau pilih pintasan lain.",
  },
  {
    "canned.title": "Gotowe odpowiedzi",
    "canned.backToInbox": "Wróć do skrzynki odbiorczej",
    "canned.intro":
      "Gotowe teksty, które zespół wstawia do odpowiedzi. Każdy skrót może istnieć raz w każdym języku; klient dostaje wersję w swoim języku, a jeśli jej nie ma, angielską.",
    "canned.placeholders": "Pola wypełniane przy wstawianiu odpowiedzi:",
    "canned.fallback":
      "Daj polu wartość zastępczą dla klientów, którzy jej nie mają, np. {example}. Bez niej odpowiedź z pustym polem nie zostanie wysłana, dopóki ktoś nie wpisze treści.",
    "canned.shortcut": "Skrót",
    "canned.shortcutHint": "Litery, cyfry, - i _, np. wysylka albo zwroty.",
    "canned.locale": "Język",
    "canned.titleField": "Tytuł",
    "canned.body": "Treść",
    "canned.actions": "Działania",
    "canned.edit": "Edytuj",
    "canned.delete": "Usuń",
    "canned.confirmDelete": "Usunąć gotową odpowiedź /{shortcut}?",
    "canned.none": "Nie ma jeszcze gotowych odpowiedzi. Dodaj poniżej te, których używasz najczęściej.",
    "canned.addHeading": "Dodaj gotową odpowiedź",
    "canned.editHeading": "Edytuj gotową odpowiedź",
    "canned.add": "Dodaj",
    "canned.save": "Zapisz",
    "canned.cancel": "Anuluj",
    "canned.added": "Dodano gotową odpowiedź.",
    "canned.saved": "Zapisano gotową odpowiedź.",
    "canned.deleted": "Usunięto gotową odpowiedź.",
    "canned.invalid":
      "Sprawdź formularz: skrót może mieć litery, cyfry, - i _ (do 40 znaków), a tytuł i treść nie mogą być puste.",
    "canned.exists":
      "Odpowiedź /{shortcut} w języku {locale} już istnieje. Edytuj tamtą albo wybierz inny skrót.",
  },
);
