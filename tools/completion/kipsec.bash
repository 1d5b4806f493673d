# bash completion for kipsec(8)                         -*- shell-script -*-

_kipsec()
{
	local cur prev words cword
	_init_completion || return

	local cmd="" i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--ctl) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	if [[ $prev == --ctl ]]; then
		_filedir
		return
	fi
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-j --json -s --stats --ctl -h --help -V --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'version setkey show status monitor sa sp encap stats up down statusall' -- "$cur"))
		fi
		return
	fi

	case $cmd in
	setkey)
		case $prev in
		-f) _filedir; return ;;
		esac
		COMPREPLY=($(compgen -W '-f -c -n -v -D -DP -F -FP -h --help' -- "$cur"))
		;;
	show|status)
		COMPREPLY=($(compgen -W '-j -s -h --help' -- "$cur"))
		;;
	monitor)
		[[ $prev == -c ]] && return
		COMPREPLY=($(compgen -W '-j -c -h --help' -- "$cur"))
		;;
	esac
} && complete -F _kipsec kipsec
