import { defineTexts } from "./define.ts";

/** The first-start page that creates the first admin (console/routes/setup.ts). */
export const SETUP_TEXTS = defineTexts(
  {
    "setup.title": "Create the first admin",
    "setup.intro":
      "No one can sign in to this console yet. Create your own account: it will be an admin, who can add everyone else on the Staff page.",
    "setup.name": "Your name",
    "setup.email": "Email",
    "setup.password": "Password",
    "setup.passwordHint": "At least {min} characters.",
    "setup.confirm": "Password again",
    "setup.submit": "Create the admin and sign in",
    "setup.mismatch": "The two passwords are not the same.",
    "setup.nameRequired": "Enter your name.",
    "setup.invalidLink":
      "This setup link is not valid. Use the link Rapport printed when it started (it changes at every start), or create the admin with: npx rapport staff add you@example.com --role admin",
  },
  {
    "setup.title": "Buat admin pertama",
    "setup.intro":
      "Belum ada yang dapat masuk ke konsol ini. Buat akun Anda sendiri: akun ini menjadi admin, yang dapat menambahkan semua orang lain di halaman Staf.",
    "setup.name": "Nama Anda",
    "setup.email": "Email",
    "setup.password": "Kata sandi",
    "setup.passwordHint": "Minimal {min} karakter.",
    "setup.confirm": "Ulangi kata sandi",
    "setup.submit": "Buat admin dan masuk",
    "setup.mismatch": "Kedua kata sandi tidak sama.",
    "setup.nameRequired": "Masukkan nama Anda.",
    "setup.invalidLink":
      "Tautan penyiapan ini tidak berlaku. Gunakan tautan yang dicetak Rapport saat dimulai (berubah setiap kali dimulai), atau buat admin dengan: npx rapport staff add anda@contoh.com --role admin",
  },
  {
    "setup.title": "Utwórz pierwszego administratora",
    "setup.intro":
      "Nikt jeszcze nie może zalogować się do tej konsoli. Utwórz własne konto: będzie kontem administratora, który doda wszystkich pozostałych na stronie Zespół.",
    "setup.name": "Twoje imię i nazwisko",
    "setup.email": "E-mail",
    "setup.password": "Hasło",
    "setup.passwordHint": "Co najmniej {min} znaków.",
    "setup.confirm": "Powtórz hasło",
    "setup.submit": "Utwórz administratora i zaloguj się",
    "setup.mismatch": "Hasła nie są takie same.",
    "setup.nameRequired": "Wpisz swoje imię i nazwisko.",
    "setup.invalidLink":
      "Ten link konfiguracji jest nieważny. Użyj linku, który Rapport wypisał przy starcie (zmienia się przy każdym starcie), albo utwórz administratora poleceniem: npx rapport staff add ty@example.com --role admin",
  },
);
