# shellcheck shell=bash
# Kernel modules for the scripts/vm guest (zram for --swap): a module and the
# ones it depends on (modinfo's depends=), uncompressed, in load order. They
# come from the kernel's own tree (--kdir), /lib/modules/<release> when the
# image is installed here, or else the package holding the modules
# (linux-image-*, from 7.x linux-modules-*) in the download cache, and are
# kept in $NB_VM/cache/modules-<release>/ (unpacking a deb takes seconds).
#
# Needs kernel.sh (NB_VM, nb_lock, nb_die) and KVER, KDIR, KWHERE, bzimage.

# Prints the path of module $1's file inside $2 (a directory tree or a
# deb's listing), nothing when it has none. Names use - and _ alike.
nb_mod_find() {
	local alt=${1//_/-}
	if [[ -d $2 ]]; then
		find "$2" -type f \( -name "$1.ko*" -o -name "$alt.ko*" \) | head -n1
	else
		grep -E "/($1|$alt)\.ko(\.xz|\.zst|\.gz)?$" "$2" | head -n1
	fi
}

# Copies module $1 into $mdir/$1.ko from wherever this kernel keeps it.
nb_mod_fetch() {
	local name=$1 src path tmp
	if [[ -n $bzimage ]]; then
		src=$KDIR
	elif [[ -d /lib/modules/$KVER/kernel ]]; then
		src=/lib/modules/$KVER/kernel
	else
		nb_mod_list || return 1
		src=$mdir/.list
	fi
	path=$(nb_mod_find "$name" "$src")
	[[ -n $path ]] || return 1
	if [[ ! -d $src ]]; then
		tmp=$(mktemp -d "$mdir/x.XXXXXX")
		dpkg-deb --fsys-tarfile "$NB_MOD_DEB" | tar -x -C "$tmp" "$path" || { rm -rf "$tmp"; return 1; }
		path=$tmp/$path
	fi
	case $path in
	*.xz) xz -dc "$path" ;; *.zst) zstd -qdc "$path" ;; *.gz) gzip -dc "$path" ;; *) cat "$path" ;;
	esac > "$mdir/$name.ko.tmp" && mv "$mdir/$name.ko.tmp" "$mdir/$name.ko"
	[[ -n ${tmp:-} ]] && rm -rf "$tmp"
	return 0
}

# The package holding lib/modules (6.x: linux-image-*, 7.x: linux-modules-*),
# downloaded into the cache like the image; its file list in $mdir/.list.
nb_mod_list() {
	local pkg=linux-image-$KVER dl=$NB_VM/cache/debs pre=()
	[[ -n ${NB_MOD_DEB:-} ]] && return 0
	[[ $KWHERE == trixie ]] && pre=(chroot "$NB_TRIXIE")
	"${pre[@]}" apt-cache show "linux-modules-$KVER" >/dev/null 2>&1 && pkg=linux-modules-$KVER
	mkdir -p "$dl"
	if ! compgen -G "$dl/$pkg""_*.deb" >/dev/null; then
		nb_log "downloading $pkg (for --swap's zram module)"
		if [[ $KWHERE == host ]]; then
			(cd "$dl" && "${APT_GET[@]}" download "$pkg" >&2)
		else
			nb_chroot sh -c "mkdir -p /var/cache/nb && cd /var/cache/nb &&
				apt-get -q -o APT::Sandbox::User=root download $pkg" >&2 &&
				mv "$NB_TRIXIE/var/cache/nb/$pkg"_*.deb "$dl/"
		fi || return 1
	fi
	NB_MOD_DEB=$(ls -t "$dl/$pkg"_*.deb | head -n1)
	[[ -f $mdir/.list ]] || { dpkg-deb -c "$NB_MOD_DEB" | awk '{print $NF}' > "$mdir/.list.tmp" &&
		mv "$mdir/.list.tmp" "$mdir/.list"; }
}

# Is module $1 built into the kernel (modules.builtin)?
nb_mod_builtin() {
	local f=/lib/modules/$KVER/modules.builtin path
	[[ -n $bzimage ]] && f=$KDIR/modules.builtin
	if [[ ! -f $f && -z $bzimage ]] && nb_mod_list; then
		f=$mdir/.builtin
		if [[ ! -f $f ]] && path=$(grep -m1 "/modules/$KVER/modules.builtin$" "$mdir/.list"); then
			dpkg-deb --fsys-tarfile "$NB_MOD_DEB" | tar -xO "$path" > "$f.tmp" && mv "$f.tmp" "$f"
		fi
	fi
	[[ -f $f ]] && grep -qE "/(${1}|${1//_/-})\.ko$" "$f"
}

# nb_guest_modules [--any] DEST NAME...: DEST/<module>.ko for each NAME not
# built in and its dependencies, and DEST/order listing them dependencies
# first. --any: the NAMEs are alternatives (KVM's vendor modules), one of them
# is enough.
nb_guest_modules() {
	local any=0 dest name seen=" " order=() found=0 where
	[[ $1 == --any ]] && { any=1; shift; }
	dest=$1
	shift
	command -v modinfo >/dev/null || nb_die "modinfo missing (package kmod)"
	mdir=$NB_VM/cache/modules-$KVER NB_MOD_DEB=""
	[[ -n $bzimage ]] && mdir=$dest/.src
	mkdir -p "$mdir" "$dest"
	nb_lock "modules-$KVER"
	# Depth first: a module goes after everything it depends on.
	# visit MODULE [TOP]: TOP is 1 for a NAME, which --any may lack.
	visit() {
		local m=$1 d
		[[ $seen == *" $m "* ]] && return 0
		seen+="$m "
		if [[ ! -f $mdir/$m.ko ]] && ! nb_mod_fetch "$m"; then
			nb_mod_builtin "$m" && return 0
			where="/lib/modules/$KVER and its package"
			[[ -n $bzimage ]] && where="$KDIR and its modules.builtin"
			((any && $2)) && return 1
			nb_die "no module $m for $KVER (looked in $where) and it is not built in"
		fi
		for d in $(modinfo -F depends "$mdir/$m.ko" | tr ',' ' '); do visit "$d" 0; done
		cp "$mdir/$m.ko" "$dest/$m.ko"
		order+=("$m")
	}
	for name in "$@"; do
		if nb_mod_builtin "$name" || visit "$name" 1; then found=1; fi
	done
	((found)) || nb_die "none of the modules $* for $KVER (looked in $where) and none is built in"
	nb_unlock
	printf '%s\n' ${order[@]+"${order[@]}"} > "$dest/order"
	rm -rf "$dest/.src"
}
