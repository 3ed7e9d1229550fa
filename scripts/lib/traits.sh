# shellcheck shell=bash
# Kernel traits for scripts/kernel and scripts/vm. The known keys and their
# values are bench/harness/traits.def's NB_TRAIT lines, the one list (notibench's
# env.c compiles the same file; `notibench traits` prints it).
#
# Needs NB_ROOT (the repo).

NB_TRAITS_DEF=$NB_ROOT/bench/harness/traits.def

nb_trait_keys() { sed -n 's/^NB_TRAIT(\([a-z_]*\), .*/\1/p' "$NB_TRAITS_DEF"; }

# nb_trait_values KEY: its values "a|b"; fails for a key not in the list.
nb_trait_values() {
	local k
	k=$(nb_trait_keys | grep -xF -- "$1") || return 1
	sed -n "s/^NB_TRAIT($k, \"\\([a-z0-9_|]*\\)\".*/\\1/p" "$NB_TRAITS_DEF"
}

# nb_trait_check KEY=VALUE: fails with the reason on stdout for anything
# but a known key with one of its values.
nb_trait_check() {
	local k v vals
	if [[ ! $1 =~ ^([a-z_]+)=([a-z0-9_]+)$ ]]; then
		echo "'$1' is not key=value (key [a-z_]+, value [a-z0-9_]+)"
		return 1
	fi
	k=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
	if ! vals=$(nb_trait_values "$k"); then
		echo "unknown trait '$k' (known: $(nb_trait_keys | tr '\n' ' ' | sed 's/ $//'); bench/harness/traits.def)"
		return 1
	fi
	if [[ "|$vals|" != *"|$v|"* ]]; then
		echo "$k=$v: the value is one of $vals"
		return 1
	fi
}

# nb_kernel_traits FILE [KEY=VALUE...]: "k=v k=v", sorted, what a kernel
# declares: FILE's lines (a build's .notibench-traits; "" or a missing file:
# none), then the arguments (scripts/vm --trait, checked already) over them.
# A bad line of FILE fails with the reason on stdout.
nb_kernel_traits() {
	local file=$1 t why n=0 k
	local -A val=()
	shift
	if [[ -n $file && -f $file ]]; then
		while IFS= read -r t || [[ -n $t ]]; do
			n=$((n + 1))
			[[ -n $t ]] || continue
			if ! why=$(nb_trait_check "$t"); then
				echo "$file:$n: $why (rebuild it with this scripts/kernel)"
				return 1
			fi
			val[${t%%=*}]=${t#*=}
		done < "$file"
	fi
	for t in "$@"; do val[${t%%=*}]=${t#*=}; done
	for k in "${!val[@]}"; do printf '%s=%s\n' "$k" "${val[$k]}"; done | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}
