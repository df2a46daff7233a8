# SPDX-License-Identifier: ISC
# Bash completion for postie(1), also when it is called as sendmail,
# mailq or newaliases.  Completes options, account names (read from the
# config file given with -C or --file, else the default one) and files.

_postie_config()
{
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-C | --file)
			printf '%s\n' "${COMP_WORDS[i + 1]/#\~/$HOME}"
			return
			;;
		-C?*)
			printf '%s\n' "${COMP_WORDS[i]#-C}"
			return
			;;
		--file=*)
			printf '%s\n' "${COMP_WORDS[i]#--file=}"
			return
			;;
		=)
			if [[ ${COMP_WORDS[i - 1]} == --file ]]; then
				printf '%s\n' "${COMP_WORDS[i + 1]/#\~/$HOME}"
				return
			fi
			;;
		esac
	done
	local xdg=${XDG_CONFIG_HOME:-$HOME/.config}
	[[ $xdg == /* ]] || xdg=$HOME/.config
	if [[ -r $xdg/postie/config ]]; then
		printf '%s\n' "$xdg/postie/config"
	else
		printf '%s\n' '@sysconfdir@/postie.conf'
	fi
}

_postie_accounts()
{
	local f
	for f in $(_postie_config); do
		[[ -r $f ]] || continue
		# "account NAME" or "account NAME : PARENT ..."
		sed -n 's/^[[:space:]]*account[[:space:]]\{1,\}\([^[:space:]:]\{1,\}\).*/\1/p' "$f"
	done
}

_postie()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD - 1]}
	# "--account=NAME": bash splits the word at the "=".
	[[ $prev == = && $COMP_CWORD -ge 2 ]] &&
	    prev=${COMP_WORDS[COMP_CWORD - 2]}
	local opts="-t -i -oi -f -r -F -C -a -N -R -V -B -v -d -P -S -q -bp
		-bi --from= --file= --account= --read-envelope-from
		--read-recipients --debug --pretend --dry-run --serverinfo
		--check-auth --login --config-check --requeue= --help --version
		--json --hold= --release= --delete= --health --warn-age=
		--crit-age="

	case $prev in
	-C | --file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	-a | --account | --login)
		mapfile -t COMPREPLY < \
		    <(compgen -W "$(_postie_accounts)" -- "$cur")
		return
		;;
	-N)
		mapfile -t COMPREPLY < <(compgen -W "never success failure delay
			success,failure success,failure,delay" -- "$cur")
		return
		;;
	-R)
		mapfile -t COMPREPLY < <(compgen -W "full hdrs" -- "$cur")
		return
		;;
	-B)
		mapfile -t COMPREPLY < <(compgen -W "7BIT 8BITMIME" -- "$cur")
		return
		;;
	--delete)
		mapfile -t COMPREPLY < <(compgen -W "failed" -- "$cur")
		return
		;;
	-f | -r | -F | -V | --from | --requeue | --hold | --release | \
	    --warn-age | --crit-age)
		return
		;;
	esac
	case $cur in
	-*)
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		[[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace 2>/dev/null
		return
		;;
	esac
}

complete -F _postie postie sendmail mailq newaliases
