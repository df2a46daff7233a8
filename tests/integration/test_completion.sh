#!/bin/sh
# SPDX-License-Identifier: ISC
# The bash completion: options, and account names read from the config
# given with -C (or the user's default one), under every name postie is
# installed as.
. "$(dirname "$0")/lib.sh"

t_tmpdir
command -v bash >/dev/null 2>&1 || t_hard_error "bash is not installed"
COMP=$TESTS_SRCDIR/../completion/postie.bash
[ -f "$COMP" ] || t_hard_error "no $COMP"

cat >"$T_DIR/rc" <<'EOF2'
defaults
tls on
account work
host smtp.example.org
account   private : work
account default : work
EOF2
mkdir -p "$HOME/.config/postie"
printf 'account mine\nhost h\n' >"$HOME/.config/postie/config"

# complete WORD...: the completions bash offers for the last word.
complete_words() {
	bash -c '. "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _postie
printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' sh "$COMP" "$@"
}

assert_eq "accounts after -a" \
    "$(complete_words postie -C "$T_DIR/rc" -a '')" "default private work "
assert_eq "accounts after --account=" \
    "$(complete_words sendmail --file "$T_DIR/rc" --account = p)" \
    "private "
assert_eq "accounts of the default config" \
    "$(complete_words postie -a '')" "mine "
assert_eq "options" "$(complete_words mailq --conf)" "--config-check "
assert_eq "queue options" "$(complete_words mailq --j)" "--json "
assert_eq "--health and --help" "$(complete_words postie --he)" \
    "--health --help "
assert_eq "--delete failed" "$(complete_words postie --delete = f)" \
    "failed "
assert_eq "-B values" "$(complete_words newaliases -B 8)" "8BITMIME "
assert_eq "registered names" "$(bash -c '. "$1"; complete -p |
    sed -n "s/^complete -F _postie //p" | sort | tr "\n" " "' sh \
    "$COMP")" "mailq newaliases postie sendmail "

t_done
