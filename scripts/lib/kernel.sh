# shellcheck shell=bash
# Kernel helpers shared by scripts/vm and scripts/deps: resolve a kernel spec
# to a Debian release string, fetch its vmlinuz, and build notibench.ko for it.
# Kernels newer than bookworm's toolchain (7.x, from trixie-backports) are
# handled in a trixie chroot made with debootstrap.
#
# Needs NB_ROOT (the repo). Everything downloaded or built goes under NB_VM.

NB_VM=${NB_CACHE:-$NB_ROOT/build/vm}
NB_TRIXIE=$NB_VM/trixie-root
# Root may write our cache dirs; wait for a concurrent apt instead of failing.
APT_GET=(apt-get -q -y -o APT::Sandbox::User=root -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive

nb_log() { echo "vm: $*" >&2; }
nb_die() { echo "vm: error: $*" >&2; exit 1; }

# Serialise concurrent runs on shared state (chroot setup, a kernel's module
# build): nb_lock NAME takes $NB_VM/NAME.lock, nb_unlock releases it.
nb_lock() {
	mkdir -p "$NB_VM"
	exec {NB_LOCK_FD}>"$NB_VM/$1.lock"
	flock "$NB_LOCK_FD"
}
nb_unlock() { exec {NB_LOCK_FD}>&-; }

nb_need_root() {
	[[ $(id -u) == 0 ]] || nb_die "$1 needs root (apt-get, chroot)"
}

# The host's Debian archive URI, from the deb822 entry (or one-line
# sources.list entry) of its own release: never hard-code a mirror.
nb_archive_uri() {
	local uri codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	uri=$(awk -v want="$codename" '
		function flush() { if (uri != "" && (" " suites " ") ~ (" " want " ") && !done) {
		                       print uri; done = 1 }
		                   uri = ""; suites = "" }
		FNR == 1 || /^[[:space:]]*$/ { flush() }
		/^URIs:/   { uri = $2 }
		/^Suites:/ { $1 = ""; suites = $0 }
		END { flush() }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
	[[ -n $uri ]] || uri=$(awk -v want="$codename" '$1 == "deb" {
		for (i = 2; i < NF; i++) if ($i ~ /:\/\// && $(i + 1) == want) { print $i; exit } }' \
		/etc/apt/sources.list 2>/dev/null)
	[[ -n $uri ]] || nb_die "no Debian $codename entry in /etc/apt/sources.list.d/*.sources" \
		"or /etc/apt/sources.list to take the archive address from"
	echo "$uri"
}

# The versioned package (linux-image-<release>) that a metapackage's
# candidate depends on. Usage: nb_meta_dep META [chroot-root]
nb_meta_dep() {
	local pre=() kind
	kind=$(cut -d- -f1,2 <<<"$1")  # linux-image or linux-headers
	[[ -n ${2:-} ]] && pre=(chroot "$2")
	"${pre[@]}" apt-cache show --no-all-versions "$1" 2>/dev/null |
		sed -n 's/^Depends: //p' | head -n1 | grep -o "$kind-[0-9][^ ,]*" | head -n1 || true
}

# installed? For this machine's architecture (or all) unless PKG names one
# (PKG:ARCH): with a foreign architecture added, dpkg-query lists every
# installed architecture of a Multi-Arch: same package.
nb_have_pkg() {
	local arch=${1#*:}
	[[ $1 == *:* ]] || arch=$(dpkg --print-architecture)
	dpkg-query -W -f='${db:Status-Status} ${Architecture}\n' "$1" 2>/dev/null |
		grep -qE "^installed ($arch|all)\$"
}

# The trixie chroot that builds modules for 7.x kernels. Created once;
# .nb-ready marks a finished setup. Mounts happen in a private mount namespace
# (unshare), so they vanish with the process even on failure. Inside a chroot
# (CI containers, tests) / is no mount point and cannot be made private: then
# the mounts are undone by a trap, and nb_trixie_setup refuses to delete a
# root with anything still mounted (the repo is bind-mounted into it).
nb_chroot() {
	local prop=private
	nb_need_root "the trixie chroot"
	mountpoint -q / || prop=unchanged
	unshare --mount --propagation "$prop" -- /bin/sh -ec '
		r=$1 repo=$2; shift 2
		trap "umount -R \"$r/repo\" \"$r/dev\" \"$r/proc\" 2>/dev/null || true" EXIT
		mount -t proc proc "$r/proc"
		mount --rbind /dev "$r/dev"
		mkdir -p "$r/repo" && mount --bind "$repo" "$r/repo"
		chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' \
		sh "$NB_TRIXIE" "$NB_ROOT" "$@"
}

# shellcheck disable=SC2120  # --update comes from scripts/deps
nb_trixie_setup() {
	if [[ -f $NB_TRIXIE/.nb-ready ]]; then
		if [[ ${1:-} == --update ]]; then
			nb_chroot apt-get -q update >&2 || nb_die "apt-get update in the trixie chroot failed"
		fi
		return 0
	fi
	nb_lock trixie
	[[ -f $NB_TRIXIE/.nb-ready ]] || nb_trixie_create
	nb_unlock
}

nb_trixie_create() {
	local uri
	nb_need_root "the trixie chroot"
	command -v debootstrap >/dev/null || nb_die "debootstrap missing: run scripts/deps"
	uri=$(nb_archive_uri)
	nb_log "creating trixie chroot in $NB_TRIXIE from $uri (about a minute)"
	if findmnt -rn -o TARGET | grep -qF "$NB_TRIXIE/"; then
		nb_die "something is still mounted under $NB_TRIXIE (umount -R it first)"
	fi
	rm -rf "$NB_TRIXIE"
	mkdir -p "$NB_TRIXIE"
	# bookworm's debian-archive-keyring (2023.3+deb12u2) holds the trixie keys,
	# and trixie's Release is also signed with the bookworm key: verify, never skip.
	debootstrap --variant=minbase \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		trixie "$NB_TRIXIE" "$uri" >&2 ||
		nb_die "debootstrap of trixie failed (log: $NB_TRIXIE/debootstrap/debootstrap.log;" \
			"a signature error means the host's debian-archive-keyring is too old)"
	# Inside the chroot apt checks signatures with trixie's own keyring.
	rm -f "$NB_TRIXIE/etc/apt/sources.list"
	cat > "$NB_TRIXIE/etc/apt/sources.list.d/debian.sources" <<-SRC
		Types: deb
		URIs: $uri
		Suites: trixie trixie-updates trixie-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	SRC
	nb_chroot apt-get -q update >&2 || nb_die "apt-get update in the trixie chroot failed"
	nb_chroot apt-get -q -y --no-install-recommends install gcc gcc-14 make libc6-dev >&2 ||
		nb_die "installing gcc-14 and make in the trixie chroot failed"
	touch "$NB_TRIXIE/.nb-ready"
}

# Resolve SPEC; sets KVER (release string) and KWHERE (host or trixie).
nb_resolve() {
	local spec=$1 img hdr
	KWHERE=host
	case $spec in
	6.1)  img=$(nb_meta_dep linux-image-amd64); hdr=$(nb_meta_dep linux-headers-amd64) ;;
	6.12) img=$(nb_meta_dep linux-image-6.12-amd64); hdr=$(nb_meta_dep linux-headers-6.12-amd64) ;;
	7)
		KWHERE=trixie
		nb_trixie_setup
		img=$(nb_meta_dep linux-image-amd64/trixie-backports "$NB_TRIXIE")
		hdr=$(nb_meta_dep linux-headers-amd64/trixie-backports "$NB_TRIXIE")
		[[ ${img#linux-image-} == 7.* ]] ||
			nb_die "trixie-backports' linux-image-amd64 is '${img:-?}', not a 7.x kernel"
		;;
	[0-9]*.*-*)
		if [[ ${spec%%.*} -ge 7 ]]; then
			KWHERE=trixie
			nb_trixie_setup
		fi
		img=linux-image-$spec hdr=linux-headers-$spec
		local pre=()
		[[ $KWHERE == trixie ]] && pre=(chroot "$NB_TRIXIE")
		"${pre[@]}" apt-cache show "$img" >/dev/null 2>&1 ||
			nb_die "kernel $spec: no package $img in apt's lists ($KWHERE)" \
				"(old ABIs leave the archive; try 6.1, 6.12 or 7)"
		;;
	*) echo "vm: bad kernel spec '$spec' (6.1, 6.12, 7 or a release like 6.1.0-56-amd64)" >&2
	   exit 2 ;;
	esac
	[[ -n $img && -n $hdr ]] ||
		nb_die "kernel $spec: cannot resolve image/headers packages (run apt-get update?)"
	KVER=${img#linux-image-}
	[[ ${hdr#linux-headers-} == "$KVER" ]] ||
		nb_die "kernel $spec: image $img and headers $hdr have different ABIs"
}

# Fetch vmlinuz into the cache and make sure the headers are installed.
# Sets VMLINUZ and KDIR (KDIR is a path inside the chroot for trixie).
nb_prepare() {
	local cache=$NB_VM/cache deb dl=$NB_VM/cache/debs pre=() pkg path
	VMLINUZ=$cache/vmlinuz-$KVER
	KDIR=/usr/src/linux-headers-$KVER
	if [[ $KWHERE == host ]]; then
		if [[ ! -d $KDIR ]]; then
			nb_need_root "installing linux-headers-$KVER"
			nb_log "installing linux-headers-$KVER"
			"${APT_GET[@]}" install "linux-headers-$KVER" >&2 ||
				nb_die "cannot install linux-headers-$KVER"
		fi
	elif [[ ! -d $NB_TRIXIE$KDIR ]]; then
		nb_log "installing linux-headers-$KVER in the trixie chroot"
		nb_chroot apt-get -q -y --no-install-recommends -t trixie-backports \
			install "linux-headers-$KVER" >&2 ||
			nb_die "cannot install linux-headers-$KVER in the trixie chroot"
	fi
	[[ -f $VMLINUZ ]] && return 0
	mkdir -p "$cache"
	# linux-headers-6.12-* depend on the image, so it may be installed already.
	if [[ $KWHERE == host && -r /boot/vmlinuz-$KVER ]]; then
		cp "/boot/vmlinuz-$KVER" "$VMLINUZ.tmp" && mv "$VMLINUZ.tmp" "$VMLINUZ"
		return 0
	fi
	# Since 7.x, linux-image-* is a metapackage and vmlinuz is in linux-binary-*.
	pkg=linux-image-$KVER
	[[ $KWHERE == trixie ]] && pre=(chroot "$NB_TRIXIE")
	"${pre[@]}" apt-cache show "linux-binary-$KVER" >/dev/null 2>&1 && pkg=linux-binary-$KVER
	mkdir -p "$dl"
	if compgen -G "$dl/$pkg""_*.deb" >/dev/null; then
		:  # downloaded before
	elif [[ $KWHERE == host ]]; then
		nb_log "downloading $pkg"
		(cd "$dl" && "${APT_GET[@]}" download "$pkg" >&2)
	else
		nb_log "downloading $pkg"
		nb_chroot sh -c "mkdir -p /var/cache/nb && cd /var/cache/nb &&
			apt-get -q -o APT::Sandbox::User=root download $pkg" >&2 &&
			mv "$NB_TRIXIE/var/cache/nb/$pkg"_*.deb "$dl/"
	fi || nb_die "cannot download $pkg"
	deb=$(ls -t "$dl/$pkg"_*.deb | head -n1)
	# 6.x ships /boot/vmlinuz-$KVER, 7.x /usr/lib/modules/$KVER/vmlinuz.
	path=$(dpkg-deb -c "$deb" | awk '{print $NF}' |
		grep -Fx -e "./boot/vmlinuz-$KVER" -e "./usr/lib/modules/$KVER/vmlinuz" | head -n1) ||
		nb_die "no vmlinuz for $KVER in $deb"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "$path" > "$VMLINUZ.tmp"
	mv "$VMLINUZ.tmp" "$VMLINUZ"
}

# Build the module for KVER; sets KO. KDIR is a host path unless KWHERE=trixie.
# Usage: nb_build_module [ARCH]: x86_64 (the default) or arm64, cross-compiled
# (into build/arm64/kmod/, beside make static ARCH=arm64's build/arm64/).
nb_build_module() {
	local out=build/kmod/$KVER kmake=()
	case ${1:-x86_64} in
	x86_64) ;;
	arm64) out=build/arm64/kmod/$KVER kmake=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) ;;
	*) nb_die "nb_build_module: unknown arch '$1' (x86_64 or arm64)" ;;
	esac
	# Trees built from source share a release (a base and its patched
	# variant): one module build per tree, or make keeps the other's objects.
	[[ -n ${bzimage:-} ]] && out+=-$(printf %s "$KDIR" | sha1sum | cut -c1-8)
	[[ -f $NB_ROOT/kmod/Kbuild ]] ||
		nb_die "kmod/Kbuild does not exist yet (use --no-module)"
	nb_lock "kmod-${out##*/}"
	nb_log "building notibench.ko for $KVER"
	if [[ $KWHERE == trixie ]]; then
		nb_chroot make -s -C /repo kmod KDIR="$KDIR" KMOD_OUT="$out" >&2
	else
		make -s -C "$NB_ROOT" kmod KDIR="$KDIR" KMOD_OUT="$out" ${kmake[@]+"${kmake[@]}"} >&2
	fi || nb_die "module build for $KVER failed (see the compiler output above)"
	nb_unlock
	KO=$NB_ROOT/$out/notibench.ko
	[[ -f $KO ]] || nb_die "module build for $KVER produced no $KO"
}

# scripts/vm --arch arm64's busybox. busybox-static is not Multi-Arch: same,
# so the arm64 one cannot be installed beside the host's: its .deb is
# downloaded into $NB_VM/arm64/ (the foreign architecture: scripts/deps arm64)
# and bin/busybox extracted beside it. Prints the path.
nb_arm64_busybox() {
	local dir=$NB_VM/arm64 deb tmp fd
	if [[ ! -x $dir/busybox ]]; then
		mkdir -p "$dir"
		# concurrent guests: one fetch (a local fd: the caller may hold nb_lock's)
		exec {fd}>"$dir/busybox.lock"
		flock "$fd"
		deb=$(ls -t "$dir"/busybox-static_*_arm64.deb 2>/dev/null | head -n1)
		if [[ ! -x $dir/busybox && -z $deb ]]; then
			nb_log "downloading busybox-static:arm64 into $dir"
			(cd "$dir" && "${APT_GET[@]}" download busybox-static:arm64 >&2) ||
				nb_die "cannot download busybox-static:arm64 (scripts/deps arm64 adds the architecture)"
			deb=$(ls -t "$dir"/busybox-static_*_arm64.deb | head -n1)
		fi
		if [[ ! -x $dir/busybox ]]; then
			tmp=$(mktemp -d "$dir/busybox.XXXXXX")
			if ! dpkg-deb -x "$deb" "$tmp" || ! mv "$tmp/bin/busybox" "$dir/busybox"; then
				rm -rf "$tmp"
				nb_die "no bin/busybox in $deb"
			fi
			rm -rf "$tmp"
		fi
		exec {fd}>&-
	fi
	echo "$dir/busybox"
}
