# shellcheck shell=bash
# Kernel traits for scripts/kernel and scripts/vm. The known keys and their
# values are bench/traits.def's NB_TRAIT lines, the one list (notibench's
# env.c compiles the same file; `notibench traits` prints it).
#
# Needs NB_ROOT (the repo).

NB_TRAITS_DEF=$NB_ROOT/bench/traits.def

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
		echo "unknown trait '$k' (known: $(nb_trait_keys | tr '\n' ' ' | sed 's/ $//'); bench/traits.def)"
		return 1
	fi
	if [[ "|$vals|" != *"|$v|"* ]]; then
		echo "$k=$v: the value is one of $vals"
		return 1
	fi
}
