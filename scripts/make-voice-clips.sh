#!/usr/bin/env bash
# Generates the Mandarin clips the hall board strings together to call a ticket
# ("请 A012 号到 3 号窗口办理"): the board runs on a headless Chromium with no speech engine, so
# every word it may say is pre-recorded here once and committed; the board's voice.js plays them
# in sequence. Re-run it only to change the voice; it rewrites the clips and manifest.json.
#
# Needs (Debian): espeak-ng (its cmn voices), sox, opusenc:
#   apt-get install -y espeak-ng sox opus-tools
# Usage: scripts/make-voice-clips.sh [OUT_DIR]   (default src/govhall/halls/static/halls/voice)
#
# Output: one small Ogg Opus file per clip (mono, 24 kbit/s; Chromium plays Opus natively, and Vorbis
# even at its lowest quality is ~1.5x the size here, mostly the codebook header every file repeats)
# and manifest.json (clip -> file, and each clip's length in ms).
# Output is byte-for-byte repeatable on the same tool versions (fixed Ogg serials, no dither), so a
# re-run with no change leaves git clean.
set -euo pipefail
# An OUT_DIR given is taken from where the script was called; the default, from the repository.
if [ -n "${1:-}" ]; then OUT="$(realpath -m -- "$1")"; fi
cd "$(dirname "$0")/.."
OUT="${OUT:-src/govhall/halls/static/halls/voice}"

missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v sox >/dev/null 2>&1 || missing+=(sox)
command -v opusenc >/dev/null 2>&1 || missing+=(opus-tools)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Install them with: apt-get install -y ${missing[*]}" >&2
  exit 1
fi

# A little slower than espeak's 175 words/min: a hall is noisy and many callers are elderly. Not
# slower still: the browser already leaves ~0.1 s between two clips, which slows the call down too.
SPEED=160
BITRATE=24
# In espeak-ng 1.51 (Debian 12) the plain `cmn` voice looks a character up as pinyin and then reads
# that pinyin with English rules (请 comes out as "king three"). `cmn-latn-pinyin` is the same
# Mandarin voice with Latin read as pinyin, which says the characters right. Use `cmn` wherever it
# has been fixed, so the clips follow the upstream default.
if espeak-ng -v cmn -q -x "请号" 2>/dev/null | grep -q '(en)'; then
  ZH_VOICE=cmn-latn-pinyin
else
  ZH_VOICE=cmn
fi
# Letters: `cmn` says them the way a Chinese hall does (A as "ei", Q as "kiu", W as "dabliu"), except
# the three below, taken from the English voice: cmn says E as "yi", the same sound as 一 in the
# ticket's digits, G as "zhi" and J as "zhei" (retroflex, heard as 志 and 这, not as letters).
LETTER_VOICE=cmn
EN_LETTERS="E G J"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

names=()
serial=1000

# clip NAME VOICE TEXT: speak TEXT, cut the leading and trailing silence (espeak pads each utterance
# with ~0.1-0.3 s, which would leave audible holes between words), even out the loudness, and keep
# 20 ms of tail; the gap the browser leaves between two clips does the rest.
clip() {
  local name="$1" voice="$2" text="$3"
  espeak-ng -v "$voice" -s "$SPEED" -w "$work/$name.raw.wav" -- "$text"
  finish "$name" "$work/$name.raw.wav" -1
}

# finish NAME WAV PEAK_DB: trim, normalise to PEAK_DB, encode. -D: no dither, which is random and
# would make every run produce different bytes.
finish() {
  local name="$1" wav="$2" peak="$3"
  sox -D "$wav" -b 16 "$work/$name.wav" \
    silence 1 0.005 -50d reverse silence 1 0.005 -50d reverse norm "$peak" pad 0 0.02
  serial=$((serial + 1))
  opusenc --quiet --bitrate "$BITRATE" --serial "$serial" "$work/$name.wav" "$work/$name.opus"
  names+=("$name")
}

# A soft two-note chime (E5 then C5, the usual "ding-dong"), quieter than the speech so it draws
# attention without startling. A sine with a little octave overtone and a long fade reads as a bell.
chime() {
  local r=22050
  sox -D -n -r $r -c 1 "$work/note1.wav" synth 0.5 sine 659.25 sine 1318.5 remix 1v0.9,2v0.1 \
    fade q 0.008 0.5 0.45
  sox -D -n -r $r -c 1 "$work/note2.wav" synth 0.55 sine 523.25 sine 1046.5 remix 1v0.9,2v0.1 \
    fade q 0.008 0.55 0.5 pad 0.25
  sox -D -m "$work/note1.wav" "$work/note2.wav" "$work/ding.raw.wav"
  finish ding "$work/ding.raw.wav" -7
}

chime
clip qing "$ZH_VOICE" "请"
clip hao "$ZH_VOICE" "号"
clip dao "$ZH_VOICE" "到"
clip chuangkou "$ZH_VOICE" "窗口"
clip banli "$ZH_VOICE" "办理"
# Digits one by one. 1 is 一 (yī), not 幺 (yāo): 幺 is the radio and telephone habit for telling 1
# from 七 when digits are dictated blind, but here the number is on the board at the same time, and
# 幺 is not known as a digit to many callers (children, visitors from other regions, people who
# learnt Mandarin late), who would not match it to the "1" printed on their ticket.
i=0
for d in 零 一 二 三 四 五 六 七 八 九; do
  clip "$i" "$ZH_VOICE" "$d"
  i=$((i + 1))
done
# 十 for window numbers 10-99 (十二, 二十, 三十五): voice.js builds them from the digits and shi.
clip shi "$ZH_VOICE" "十"
for l in A B C D E F G H I J K L M N O P Q R S T U V W X Y Z; do
  voice="$LETTER_VOICE"
  case " $EN_LETTERS " in *" $l "*) voice=en ;; esac
  clip "$l" "$voice" "$l"
done

# The manifest lists only what this run made; stale clips of an earlier run are removed with it.
mkdir -p "$OUT"
rm -f "$OUT"/*.opus "$OUT/manifest.json"
for n in "${names[@]}"; do
  cp "$work/$n.opus" "$OUT/$n.opus"
  printf '%s\t%s\n' "$n" "$(soxi -D "$work/$n.wav")" >>"$work/durations.tsv"
done
python3 - "$work/durations.tsv" "$OUT/manifest.json" "$ZH_VOICE" <<'PY'
import json, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1], encoding="utf-8")]
manifest = {
    "type": "audio/ogg; codecs=opus",
    "voice": "espeak-ng " + sys.argv[3],
    "clips": {name: name + ".opus" for name, _ in rows},
    "durations_ms": {name: round(float(seconds) * 1000) for name, seconds in rows},
}
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(manifest, f, ensure_ascii=False, indent=1)
    f.write("\n")
PY
total=$(du -cb "$OUT"/*.opus "$OUT/manifest.json" | tail -1 | cut -f1)
echo "Wrote ${#names[@]} clips and manifest.json to $OUT ($total bytes, Chinese voice $ZH_VOICE)"
