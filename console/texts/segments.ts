import { defineTexts } from "./define.ts";

/** The segments page: each named segment of segments.yaml, its members now, and their download as CSV. */
export const SEGMENTS_TEXTS = defineTexts(
  {
    "segments.nav": "Segments",
    "segments.title": "Segments",
    "segments.intro":
      "The named segments of campaigns/segments.yaml, with who is in each now. Download a segment's customers as CSV for an ad audience or a partner: only customers who did not refuse data sharing are in it, and every download is recorded.",
    "segments.none": "No segments yet: add them to campaigns/segments.yaml.",
    "segments.name": "Segment",
    "segments.rule": "Who is in it",
    "segments.members": "Customers now",
    "segments.download": "Download CSV",
    "segments.downloadLabel": "Download the customers of {name} as CSV",
    "segments.broken": "Has errors: run rapport campaigns validate",
    "segments.unavailable": "Segments are not available in this process.",
  },
  {
    "segments.nav": "Segmen",
    "segments.title": "Segmen",
    "segments.intro":
      "Segmen bernama dari campaigns/segments.yaml, beserta siapa yang ada di masing-masing saat ini. Unduh pelanggan suatu segmen sebagai CSV untuk audiens iklan atau mitra: hanya pelanggan yang tidak menolak berbagi data yang disertakan, dan setiap unduhan dicatat.",
    "segments.none": "Belum ada segmen: tambahkan di campaigns/segments.yaml.",
    "segments.name": "Segmen",
    "segments.rule": "Siapa yang termasuk",
    "segments.members": "Pelanggan saat ini",
    "segments.download": "Unduh CSV",
    "segments.downloadLabel": "Unduh pelanggan {name} sebagai CSV",
    "segments.broken": "Ada kesalahan: jalankan rapport campaigns validate",
    "segments.unavailable": "Segmen tidak tersedia di proses ini.",
  },
  {
    "segments.nav": "Segmenty",
    "segments.title": "Segmenty",
    "segments.intro":
      "Nazwane segmenty z campaigns/segments.yaml i to, kto jest w każdym z nich teraz. Pobierz klientów segmentu jako CSV dla grupy odbiorców reklam lub partnera: są w nim tylko klienci, którzy nie odmówili udostępniania danych, a każde pobranie jest zapisywane.",
    "segments.none": "Nie ma jeszcze segmentów: dodaj je w campaigns/segments.yaml.",
    "segments.name": "Segment",
    "segments.rule": "Kto do niego należy",
    "segments.members": "Klienci teraz",
    "segments.download": "Pobierz CSV",
    "segments.downloadLabel": "Pobierz klientów segmentu {name} jako CSV",
    "segments.broken": "Zawiera błędy: uruchom rapport campaigns validate",
    "segments.unavailable": "Segmenty nie są dostępne w tym procesie.",
  },
);
