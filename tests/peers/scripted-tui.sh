#!/usr/bin/env bash
# A small full-screen terminal program standing in for a TUI agent (opencode's, Claude Code's)
# in the tests: it takes the alternate screen, draws a title bar, an answer area and a prompt
# line with cursor movement only, and answers each line typed at it after a short "Thinking…".
# `quit` leaves the alternate screen and exits 0; `fail` exits 3.
#
#   scripted-tui.sh [TITLE]    (--version: prints its version, as the provider probe asks)
if [ "${1:-}" = --version ]; then echo "scripted-tui 1.0"; exit 0; fi
title="${1:-Scripted TUI}"
prompt() { printf '\033[8;1H\033[2K> '; }
printf '\033[?1049h\033[2J\033[1;1H\033[7m %s \033[0m' "$title"
printf '\033[2;1H%s' "----------------------------------------"
printf '\033[4;3HAsk me anything.'
prompt
asked=0
while IFS= read -r question; do
    case "$question" in
        quit) printf '\033[?1049lbye from %s\r\n' "$title"; exit 0 ;;
        fail) printf '\033[?1049lfailing on purpose\r\n'; exit 3 ;;
    esac
    asked=$((asked + 1))
    printf '\033[4;3H\033[2KThinking...'
    sleep 0.3
    printf '\033[4;3H\033[2KAnswer %d: you asked "%s"' "$asked" "$question"
    prompt
done
