#!/usr/bin/env bash
# Real restic binaries of the versions the tests run against, without
# installing anything: Debian's own packages, downloaded with apt-get through a
# temporary sources list and unpacked with dpkg-deb into a cache folder.
#
#   restic 0.14.x  Debian 12 (bookworm): the apt restic when it is that version
#   restic 0.18.x  Debian 13 (trixie)
#   restic 0.19.x  Debian unstable (sid)
#
# The binaries are statically linked Go programs apart from libc, so they run
# on Debian 12 and newer and on Ubuntu. The cache is reused: once every version
# is there, nothing is downloaded (no network at all).
#
# stdout: the binaries, separated by ':' (the apt restic first), ready for
#         RESTIC_MONITOR_TEST_RESTICS; everything else goes to stderr.
#
#   RESTIC_MONITOR_RESTIC_CACHE  the cache folder
#                                (default: ${XDG_CACHE_HOME:-~/.cache}/restic-monitor/test-restics,
#                                 the folder tests/restic_versions.py looks in)
#   DEBIAN_MIRROR                the Debian mirror to use (default: the machine's own,
#                                from /etc/apt/sources.list{,.d/}, else deb.debian.org)
set -euo pipefail

cache="${RESTIC_MONITOR_RESTIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/restic-monitor/test-restics}"
# series, suite, Debian version pattern (an extended regex)
WANTED=(
    "0.14 bookworm ^0\.14\."
    "0.18 trixie ^0\.18\.0-"
    "0.19 sid ^0\.19\."
)

log() { printf 'fetch-restic: %s\n' "$*" >&2; }

# "0.18.0" from "restic 0.18.0 compiled with go1.24.4 on linux/amd64"; empty on failure.
version_of() {
    local out
    out=$("$1" version 2>/dev/null) || return 0
    set -- $out
    [ "${1:-}" = restic ] && printf '%s\n' "${2:-}"
}

series_of() { printf '%s\n' "$1" | cut -d. -f1-2; }

# --- the machine's own Debian mirror and keyring -------------------------------------

mirror="${DEBIAN_MIRROR:-}"
keyring=""
if [ -z "$mirror" ]; then
    # deb822 (*.sources): the first "URIs:" of a stanza whose suites are Debian's
    # (not the security archive); one-line format (*.list): "deb [opts] URI suite ...".
    found=$(
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
            [ -r "$f" ] || continue
            case "$f" in
            *.sources)
                awk -v RS= '
                    /(^|\n)Suites:[^\n]*(bookworm|trixie|forky|sid|stable|testing|unstable)/ &&
                    !/(^|\n)Suites:[^\n]*-security/ {
                        uri = ""; key = ""
                        n = split($0, lines, "\n")
                        for (i = 1; i <= n; i++) {
                            if (lines[i] ~ /^URIs:/) { split(lines[i], w, " "); uri = w[2] }
                            if (lines[i] ~ /^Signed-By:/) { split(lines[i], w, " "); key = w[2] }
                        }
                        if (uri != "") print uri, key
                    }' "$f"
                ;;
            *)
                sed -n -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+(bookworm|trixie|forky|sid|stable|testing|unstable)([[:space:]].*)?$/\2/p' "$f"
                ;;
            esac
        done | grep -v -- '-security' | head -n 1
    ) || true
    read -r mirror keyring <<<"${found:-}" || true
fi
mirror="${mirror:-http://deb.debian.org/debian}"
if [ -z "$keyring" ] || [ ! -r "$keyring" ]; then
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
fi

# --- what is there already --------------------------------------------------------------

declare -A have # series -> binary
apt_restic=$(command -v restic || true)
if [ -n "$apt_restic" ]; then
    v=$(version_of "$apt_restic")
    if [ -n "$v" ]; then
        have[$(series_of "$v")]=$apt_restic
        log "restic $v: $apt_restic (PATH)"
    fi
fi

need=()
for entry in "${WANTED[@]}"; do
    read -r series suite pattern <<<"$entry"
    [ -n "${have[$series]:-}" ] && continue
    exe="$cache/$series/usr/bin/restic"
    v=$( [ -x "$exe" ] && version_of "$exe" || true)
    if [ -n "$v" ] && [ "$(series_of "$v")" = "$series" ]; then
        have[$series]=$exe
        log "restic $v: $exe (cached)"
    else
        need+=("$entry")
    fi
done

# --- download and unpack what is missing ---------------------------------------------------

if [ "${#need[@]}" -gt 0 ]; then
    if [ ! -r "$keyring" ]; then
        log "error: no Debian archive keyring at $keyring (package debian-archive-keyring)"
        exit 1
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
    : >"$work/status"
    for entry in "${need[@]}"; do
        read -r series suite pattern <<<"$entry"
        echo "deb [signed-by=$keyring] $mirror $suite main"
    done >"$work/sources.list"
    apt_opts=(
        -o "Dir::Etc::sourcelist=$work/sources.list"
        -o "Dir::Etc::sourceparts=-"
        -o "Dir::State::Lists=$work/lists"
        -o "Dir::State::status=$work/status"
        -o "Dir::Cache=$work/cache"
        -o "Debug::NoLocking=true"
    )
    # As root, apt would hand the download to user _apt, who cannot write here.
    [ "$(id -u)" -eq 0 ] && apt_opts+=(-o "APT::Sandbox::User=root")
    log "apt-get update from $mirror ($(cut -d' ' -f4 "$work/sources.list" | tr '\n' ' '))"
    apt-get "${apt_opts[@]}" -q update >&2
    for entry in "${need[@]}"; do
        read -r series suite pattern <<<"$entry"
        # "restic | 0.19.1-1 | http://deb.debian.org/debian sid/main amd64 Packages"
        debver=$(apt-cache "${apt_opts[@]}" madison restic \
            | awk -F'|' -v s=" $suite/" 'index($3, s) { gsub(/ /, "", $2); print $2 }' \
            | grep -E -- "$pattern" | sort -V | tail -n 1 || true)
        if [ -z "$debver" ]; then
            log "error: $suite has no restic matching $pattern:"
            apt-cache "${apt_opts[@]}" madison restic >&2 || true
            exit 1
        fi
        log "downloading restic=$debver ($suite)"
        (cd "$work/debs" && apt-get "${apt_opts[@]}" -q download "restic=$debver" >&2)
        deb=$(ls "$work/debs"/restic_*.deb)
        mkdir -p "$cache"
        rm -rf "$cache/$series.new"
        dpkg-deb -x "$deb" "$cache/$series.new"
        echo "$debver" >"$cache/$series.new/debian-version"
        rm -f "$deb"
        exe="$cache/$series.new/usr/bin/restic"
        v=$(version_of "$exe")
        if [ "$(series_of "${v:-none}")" != "$series" ]; then
            log "error: $exe does not run as restic $series (restic version says: ${v:-nothing})"
            exit 1
        fi
        rm -rf "$cache/$series"
        mv "$cache/$series.new" "$cache/$series"
        have[$series]="$cache/$series/usr/bin/restic"
        log "restic $v: ${have[$series]} (Debian $debver)"
    done
fi

# --- the list for the tests: the apt restic first --------------------------------------------

list=()
[ -n "$apt_restic" ] && [ -n "$(version_of "$apt_restic")" ] && list+=("$apt_restic")
for entry in "${WANTED[@]}"; do
    read -r series _ _ <<<"$entry"
    exe="${have[$series]:-}"
    [ -n "$exe" ] && [ "$exe" != "$apt_restic" ] && list+=("$exe")
done
(IFS=:; printf '%s\n' "${list[*]}")
