//! What the path is: filesystem type (statfs magic number, refined from
//! `/proc/self/mountinfo`), free space, read-only flag, and available memory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The broad class of storage a filesystem type stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FsKind {
    /// Data lives in RAM (tmpfs, ramfs): fast, not durable.
    Memory,
    /// A local block-device filesystem (ext4, xfs, btrfs, zfs, …): typical of RWO volumes.
    LocalDisk,
    /// A container's overlay (overlayfs): the writable layer of the container image.
    Overlay,
    /// A network file protocol (nfs, cifs/smb, 9p, virtiofs): typical of RWX volumes.
    Network,
    /// A distributed filesystem (cephfs, lustre, gpfs, glusterfs).
    Distributed,
    /// A userspace (FUSE) filesystem whose backend is unknown.
    Fuse,
    /// A kernel pseudo filesystem (proc, sysfs, cgroup…): not storage.
    Pseudo,
    /// Not recognised.
    Unknown,
}

/// Facts about the filesystem holding the benchmarked path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsInfo {
    /// Filesystem type name: `tmpfs`, `ext4`, `xfs`, `nfs4`, `cephfs`, `fuse.sshfs`…
    pub fs_type: String,
    /// Broad class of storage.
    pub kind: FsKind,
    /// The statfs magic number, in hex (`0xef53`).
    pub magic: String,
    /// Mount point containing the path, when /proc/self/mountinfo is readable.
    pub mount_point: Option<PathBuf>,
    /// Size of the filesystem in bytes.
    pub total_bytes: u64,
    /// Bytes available to an unprivileged writer (`f_bavail × f_frsize`).
    pub free_bytes: u64,
    /// Mounted read-only.
    pub read_only: bool,
    /// Whether O_DIRECT works on it; `None` until probed by a benchmark run.
    pub direct_io: Option<bool>,
}

/// The statfs magic numbers kstor knows (from linux/magic.h and filesystem sources).
const MAGICS: &[(u64, &str, FsKind)] = &[
    (0x0102_1994, "tmpfs", FsKind::Memory),
    (0x8584_58f6, "ramfs", FsKind::Memory),
    (0xef53, "ext4", FsKind::LocalDisk),
    (0x5846_5342, "xfs", FsKind::LocalDisk),
    (0x9123_683e, "btrfs", FsKind::LocalDisk),
    (0x2fc1_2fc1, "zfs", FsKind::LocalDisk),
    (0xf2f5_2010, "f2fs", FsKind::LocalDisk),
    (0xca45_1a4e, "bcachefs", FsKind::LocalDisk),
    (0x4d44, "vfat", FsKind::LocalDisk),
    (0x2011_bab0, "exfat", FsKind::LocalDisk),
    (0x7371_7368, "squashfs", FsKind::LocalDisk),
    (0x794c_7630, "overlay", FsKind::Overlay),
    (0x6969, "nfs", FsKind::Network),
    (0xff53_4d42, "cifs", FsKind::Network),
    (0xfe53_4d42, "smb2", FsKind::Network),
    (0x0102_1997, "9p", FsKind::Network),
    (0x5346_414f, "afs", FsKind::Network),
    (0x00c3_6400, "cephfs", FsKind::Distributed),
    (0x0bd0_0bd0, "lustre", FsKind::Distributed),
    (0x4750_4653, "gpfs", FsKind::Distributed),
    (0x1916_1122, "beegfs", FsKind::Distributed),
    (0x6573_5546, "fuse", FsKind::Fuse),
    (0x9fa0, "proc", FsKind::Pseudo),
    (0x6265_6572, "sysfs", FsKind::Pseudo),
    (0x0027_e0eb, "cgroup", FsKind::Pseudo),
    (0x6367_7270, "cgroup2", FsKind::Pseudo),
    (0x6462_6720, "debugfs", FsKind::Pseudo),
    (0x7472_6163, "tracefs", FsKind::Pseudo),
    (0x1cd1, "devpts", FsKind::Pseudo),
    (0x7363_6673, "securityfs", FsKind::Pseudo),
    (0xcafe_4a11, "bpf", FsKind::Pseudo),
    (0x6165_676c, "pstore", FsKind::Pseudo),
    (0x6265_6570, "configfs", FsKind::Pseudo),
    (0x6e73_6673, "nsfs", FsKind::Pseudo),
];

/// The name and class for a statfs magic number, if known.
pub fn name_for_magic(magic: u64) -> Option<(&'static str, FsKind)> {
    MAGICS.iter().find(|(m, _, _)| *m == magic).map(|(_, name, kind)| (*name, *kind))
}

/// The class of a filesystem type name as /proc/self/mountinfo spells it.
pub fn kind_for_name(name: &str) -> FsKind {
    match name {
        "tmpfs" | "ramfs" | "devtmpfs" => FsKind::Memory,
        "ext2" | "ext3" | "ext4" | "xfs" | "btrfs" | "zfs" | "f2fs" | "bcachefs" | "vfat" | "exfat"
        | "ntfs" | "ntfs3" | "squashfs" | "iso9660" | "jfs" | "fuseblk" => FsKind::LocalDisk,
        "overlay" | "aufs" => FsKind::Overlay,
        "nfs" | "nfs4" | "cifs" | "smb3" | "smb2" | "9p" | "afs" | "virtiofs" => FsKind::Network,
        "ceph" | "cephfs" | "lustre" | "gpfs" | "beegfs" | "glusterfs" | "fuse.glusterfs"
        | "fuse.ceph-fuse" | "fuse.juicefs" => FsKind::Distributed,
        "proc" | "sysfs" | "cgroup" | "cgroup2" | "debugfs" | "tracefs" | "devpts" | "securityfs" | "bpf"
        | "pstore" | "configfs" | "nsfs" | "mqueue" => FsKind::Pseudo,
        n if n.starts_with("fuse") => FsKind::Fuse,
        _ => FsKind::Unknown,
    }
}

/// Detects the filesystem holding `path` (which must exist).
///
/// The type comes from the statfs magic number. Where one magic number covers several
/// types (ext2/3/4, FUSE subtypes such as `fuse.sshfs` or `virtiofs`, nfs/nfs4) or is
/// unknown, the name is refined from the longest matching mount in /proc/self/mountinfo.
pub fn detect(path: &Path) -> std::io::Result<FsInfo> {
    let st = rustix::fs::statfs(path)?;
    let vfs = rustix::fs::statvfs(path)?;
    // f_type is a signed word on some platforms; magic numbers are 32-bit.
    let magic = (st.f_type as u64) & 0xffff_ffff;
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mount =
        std::fs::read_to_string("/proc/self/mountinfo").ok().and_then(|text| mount_for(&text, &canonical));
    let mount_type = mount.as_ref().map(|(_, t)| t.as_str());
    let (fs_type, kind) = match (name_for_magic(magic), mount_type) {
        (Some(("ext4", kind)), Some(t @ ("ext2" | "ext3" | "ext4"))) => (t.to_string(), kind),
        (Some(("fuse", _)), Some(t)) => (t.to_string(), kind_for_name(t)),
        (Some(("nfs", kind)), Some(t @ ("nfs" | "nfs4"))) => (t.to_string(), kind),
        (Some((name, kind)), _) => (name.to_string(), kind),
        (None, Some(t)) => (t.to_string(), kind_for_name(t)),
        (None, None) => (format!("unknown ({magic:#x})"), FsKind::Unknown),
    };
    Ok(FsInfo {
        fs_type,
        kind,
        magic: format!("{magic:#x}"),
        mount_point: mount.map(|(m, _)| m),
        total_bytes: vfs.f_blocks.saturating_mul(vfs.f_frsize),
        free_bytes: vfs.f_bavail.saturating_mul(vfs.f_frsize),
        read_only: vfs.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY),
        direct_io: None,
    })
}

/// The mount point and filesystem type of the longest mount in `mountinfo` (the text of
/// /proc/self/mountinfo) that contains `path`; later entries win ties (stacked mounts).
pub fn mount_for(mountinfo: &str, path: &Path) -> Option<(PathBuf, String)> {
    let mut best: Option<(PathBuf, String)> = None;
    for line in mountinfo.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let (Some(mount_point), Some(fs_type)) = (left.split(' ').nth(4), right.split(' ').next()) else {
            continue;
        };
        let mount_point = PathBuf::from(unescape_octal(mount_point));
        let longer = best.as_ref().is_none_or(|(b, _)| mount_point.as_os_str().len() >= b.as_os_str().len());
        if path.starts_with(&mount_point) && longer {
            best = Some((mount_point, fs_type.to_string()));
        }
    }
    best
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\134` for a backslash…).
fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        if let Some(d) = octal {
            out.push(d.iter().fold(0u8, |acc, c| acc.wrapping_mul(8) + (c - b'0')));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `MemAvailable` from /proc/meminfo in bytes: how much the page cache could hold
/// without swapping. `None` where /proc/meminfo is unreadable.
pub fn mem_available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_available(&text)
}

/// Parses the `MemAvailable:` line of /proc/meminfo text (in kB) into bytes.
pub fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert_eq!(name_for_magic(0x0102_1994), Some(("tmpfs", FsKind::Memory)));
        assert_eq!(name_for_magic(0xef53), Some(("ext4", FsKind::LocalDisk)));
        assert_eq!(name_for_magic(0x5846_5342), Some(("xfs", FsKind::LocalDisk)));
        assert_eq!(name_for_magic(0x9123_683e), Some(("btrfs", FsKind::LocalDisk)));
        assert_eq!(name_for_magic(0x794c_7630), Some(("overlay", FsKind::Overlay)));
        assert_eq!(name_for_magic(0x6969), Some(("nfs", FsKind::Network)));
        assert_eq!(name_for_magic(0x00c3_6400), Some(("cephfs", FsKind::Distributed)));
        assert_eq!(name_for_magic(0x6573_5546), Some(("fuse", FsKind::Fuse)));
        assert_eq!(name_for_magic(0x9fa0), Some(("proc", FsKind::Pseudo)));
        assert_eq!(name_for_magic(0x1234), None);
    }

    #[test]
    fn names() {
        assert_eq!(kind_for_name("fuse.sshfs"), FsKind::Fuse);
        assert_eq!(kind_for_name("fuse.glusterfs"), FsKind::Distributed);
        assert_eq!(kind_for_name("nfs4"), FsKind::Network);
        assert_eq!(kind_for_name("zonefs"), FsKind::Unknown);
    }

    #[test]
    fn mountinfo_longest_prefix_and_escapes() {
        let text = "\
22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
23 22 0:21 / /dev/shm rw - tmpfs tmpfs rw
24 22 0:22 / /mnt/my\\040data rw - nfs4 srv:/x rw
25 22 0:23 / /mnt/e rw - fuse.sshfs host: rw
";
        let m = |p: &str| mount_for(text, Path::new(p));
        assert_eq!(m("/work/x"), Some(("/".into(), "ext4".into())));
        assert_eq!(m("/dev/shm/a"), Some(("/dev/shm".into(), "tmpfs".into())));
        assert_eq!(m("/mnt/my data/db"), Some(("/mnt/my data".into(), "nfs4".into())));
        assert_eq!(m("/mnt/efs"), Some(("/".into(), "ext4".into())));
        assert_eq!(m("/mnt/e/1"), Some(("/mnt/e".into(), "fuse.sshfs".into())));
    }

    #[test]
    fn meminfo() {
        let text = "MemTotal:  24000000 kB\nMemAvailable:    1000 kB\n";
        assert_eq!(parse_mem_available(text), Some(1_024_000));
        assert_eq!(parse_mem_available("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn detects_proc_and_this_tempdir() {
        let proc = detect(Path::new("/proc")).unwrap();
        assert_eq!((proc.fs_type.as_str(), proc.kind), ("proc", FsKind::Pseudo));
        let dir = tempfile::tempdir().unwrap();
        let info = detect(dir.path()).unwrap();
        assert!(info.total_bytes > 0, "{info:?}");
        assert!(info.magic.starts_with("0x"));
    }
}
