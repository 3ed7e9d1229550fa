# shellcheck shell=bash
# The full Debian guest of scripts/vm --rootfs: a bookworm root filesystem
# made with debootstrap, holding what scripts/deps installs (its BASE list),
# dkms, and the images and headers of bookworm's 6.1 and 6.12 kernels (their
# current ABIs, as nb_resolve finds them) and of the booted one; kept as an
# ext4 image in $NB_VM/rootfs-<key>.ext4, where the key hashes the package
# list: another list (a new ABI, a package added to BASE) is another image.
# QEMU boots it with -snapshot, so the cached image is never written.
#
# Needs kernel.sh (NB_VM, nb_chroot, nb_archive_uri, nb_meta_dep) and KVER.

# What the guest needs beyond BASE: dkms (the packaging test), each kernel's
# image (its /lib/modules, for modprobe) and headers (make kmod against the
# running kernel).
nb_rootfs_packages() {
	local base k img
	base=$(bash -c 'eval "$(sed -n "/^BASE=(/,/^)/p" "$1")" && printf "%s\n" "${BASE[@]}"' \
		_ "$NB_ROOT/scripts/deps") && [[ -n $base ]] ||
		nb_die "cannot read the BASE package list from scripts/deps"
	{
		echo "$base"
		echo dkms
		for k in linux-image-amd64 linux-image-6.12-amd64; do
			img=$(nb_meta_dep "$k")
			[[ -n $img ]] || nb_die "cannot resolve $k (run apt-get update?)"
			echo "$img"
			echo "linux-headers-${img#linux-image-}"
		done
		echo "linux-image-$KVER"
		echo "linux-headers-$KVER"
	} | LC_ALL=C sort -u
}

# Sets ROOTFS_IMG, building the image first when it is not cached.
nb_rootfs_image() {
	local pkgs key
	[[ $KWHERE == host && -z ${bzimage:-} ]] ||
		nb_die "--rootfs boots bookworm's own kernels (6.1, 6.12 or a bookworm release)"
	pkgs=$(nb_rootfs_packages)
	key=$(printf '%s\n' "$pkgs" | sha256sum | cut -c1-12)
	ROOTFS_IMG=$NB_VM/rootfs-$key.ext4
	[[ -f $ROOTFS_IMG ]] && return 0
	nb_lock "rootfs-$key"
	[[ -f $ROOTFS_IMG ]] || nb_rootfs_create "$pkgs"
	nb_unlock
}

nb_rootfs_create() {
	local pkgs=$1 dir=$ROOTFS_IMG.d uri mib
	nb_need_root "building the --rootfs image (debootstrap, chroot)"
	command -v debootstrap >/dev/null || nb_die "debootstrap missing: run scripts/deps"
	command -v mkfs.ext4 >/dev/null || nb_die "mkfs.ext4 missing (package e2fsprogs)"
	uri=$(nb_archive_uri)
	nb_log "creating the bookworm root filesystem $ROOTFS_IMG from $uri (10-20 minutes, once)"
	if findmnt -rn -o TARGET | grep -qF "$dir/"; then
		nb_die "something is still mounted under $dir (umount -R it first)"
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	# The packages this host already fetched (scripts/deps installed most of
	# the list) are not downloaded again: debootstrap takes apt's cache as its
	# own, and apt in the chroot finds them hard-linked into its cache (apt
	# checks each against the index; a stale one is fetched anew).
	debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		--cache-dir=/var/cache/apt/archives bookworm "$dir" "$uri" >&2 ||
		nb_die "debootstrap of bookworm failed (log: $dir/debootstrap/debootstrap.log)"
	# The host's own entries (bookworm, -updates, -security): the mirror is
	# whatever this system uses.
	rm -f "$dir/etc/apt/sources.list"
	cp /etc/apt/sources.list.d/*.sources "$dir/etc/apt/sources.list.d/"
	find /var/cache/apt/archives -maxdepth 1 -name '*.deb' \
		-exec ln -f -t "$dir/var/cache/apt/archives/" {} + 2>/dev/null || true
	# No initramfs for the kernels (minutes each; scripts/vm boots its own):
	# INITRD=No for their postinst, update-initramfs diverted for the
	# triggers while the packages go in.
	# shellcheck disable=SC2086  # one package a word
	NB_TRIXIE=$dir nb_chroot sh -ec 'export INITRD=No
		u=/usr/sbin/update-initramfs
		dpkg-divert --local --rename --add $u >/dev/null
		ln -s /bin/true $u
		apt-get -q update
		apt-get -q -y --no-install-recommends install "$@"
		apt-get clean
		rm -f $u
		dpkg-divert --local --rename --remove $u >/dev/null' sh $pkgs >&2 ||
		nb_die "installing the packages in the root filesystem failed"
	echo notibench-vm > "$dir/etc/hostname"
	printf '/dev/vda / ext4 rw 0 1\n' > "$dir/etc/fstab"
	# Room for the builds the guest runs (libperf from linux-source, the
	# module, results); the image file is sparse.
	mib=$(($(du -sm "$dir" | cut -f1) + 4096))
	rm -f "$ROOTFS_IMG.tmp"
	mkfs.ext4 -q -F -L nb-rootfs -O ^metadata_csum -d "$dir" "$ROOTFS_IMG.tmp" "${mib}M" >&2 ||
		nb_die "mkfs.ext4 -d of the root filesystem failed"
	mv "$ROOTFS_IMG.tmp" "$ROOTFS_IMG"
	printf '%s\n' "$pkgs" > "$ROOTFS_IMG.packages"
	rm -rf "$dir"
}

# The project for the guest, as a tar in $1: a clone of this repository with
# the working tree's files (tracked and untracked, not ignored) over it, so
# that git describe --dirty says in the guest what it says here. With $2 = 1,
# the host's build/ too (user space, times kept: make finds it up to date;
# not build/vm or the module builds).
nb_rootfs_project() {
	local tarf=$1 withbuild=$2 stage
	stage=$(mktemp -d "$NB_VM/tmp/project.XXXXXX")
	git clone -q --no-checkout --no-hardlinks "$NB_ROOT" "$stage/notibench" ||
		nb_die "cannot clone $NB_ROOT for the guest"
	(cd "$NB_ROOT" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -xpf - -C "$stage/notibench" ||
		nb_die "cannot copy the working tree for the guest"
	git -C "$stage/notibench" reset -q
	if ((withbuild)) && [[ -d $NB_ROOT/build ]]; then
		(cd "$NB_ROOT" && find build -mindepth 1 -maxdepth 1 \
			! -name vm ! -name kmod ! -name 'bench-*' -print0 | tar --null -T - -cf -) |
			tar -xpf - -C "$stage/notibench" || nb_die "cannot copy build/ for the guest"
	fi
	tar -C "$stage" -cf "$tarf" notibench
	rm -rf "$stage"
}
