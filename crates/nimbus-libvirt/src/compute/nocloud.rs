//! Builds the cloud-init NoCloud seed image: a small ISO 9660 volume labelled `cidata`.
//!
//! cloud-init's NoCloud datasource looks (via blkid) for an `iso9660` or `vfat` filesystem whose label is
//! `cidata` or `CIDATA`, mounts it and reads `user-data`, `meta-data` and optionally `network-config` and
//! `vendor-data` from its root directory by those exact names.
//!
//! Why our own writer instead of shelling out to `genisoimage`/`xorriso`/`cloud-localds`: the adapter talks
//! to libvirt, possibly on a remote host (`qemu+ssh://`), and uploads the bytes through libvirt's storage
//! volume API before attaching the volume as a CD-ROM. Writing the image in-process means no build-time or
//! run-time dependency on ISO tools on either machine, and no temporary files.
//!
//! Layout (2048-byte sectors): 0..16 zero system area, 16 Primary Volume Descriptor (volume id `cidata`,
//! lower-case as `genisoimage -V cidata` writes it), 17 terminator, 18/19 the L/M path tables, 20 the root
//! directory, then each file's data in its own sector-aligned extent. Plain ISO 9660 names are upper-case
//! 8.3 (`USER_DAT.;1`), so every record also carries Rock Ridge entries (RRIP 1.10): `SP` and `ER` in the
//! root's `.` record announce the extension, `NM` holds the real name and `PX` gives sane permissions
//! (files `0444`, directories `0555`, owner root). Linux mounts Rock Ridge by default, so the seed shows
//! up as `user-data` and `meta-data`. All timestamps are 1970-01-01T00:00:00Z: same input, same bytes.

use std::fmt;

/// Volume identifier written into the Primary Volume Descriptor (the filesystem label).
pub const VOLUME_ID: &str = "cidata";
/// Largest accepted size of a single file, in bytes (16 MiB).
pub const MAX_FILE_SIZE: usize = 16 * 1024 * 1024;
/// Longest accepted file name, in bytes.
pub const MAX_NAME_LEN: usize = 64;

const SECTOR: usize = 2048;
const ROOT_LBA: u32 = 20;
const RECORD_DATE: [u8; 7] = [70, 1, 1, 0, 0, 0, 0]; // years since 1900, month, day, h, m, s, UTC offset
const ER_ID: &[u8] = b"RRIP_1991A";
const ER_DESC: &[u8] = b"THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
const ER_SRC: &[u8] = b"PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.";

/// Why a seed image could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedError {
    /// The name is empty, too long, starts with `.` or has characters other than `A-Z a-z 0-9 . _ -`.
    InvalidName(String),
    /// Two names are equal or map to the same ISO 9660 8.3 identifier (e.g. `a-b` and `a_b`).
    DuplicateName(String),
    /// A file is larger than [`MAX_FILE_SIZE`].
    FileTooLarge {
        /// The offending file name.
        name: String,
        /// Its size in bytes.
        size: usize,
    },
    /// The root directory records do not fit in one 2048-byte sector.
    TooManyFiles(usize),
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedError::InvalidName(n) => write!(f, "invalid seed file name {n:?}"),
            SeedError::DuplicateName(n) => write!(f, "seed file name {n:?} clashes with another file"),
            SeedError::FileTooLarge { name, size } => {
                write!(
                    f,
                    "seed file {name:?} is {size} bytes, more than the {MAX_FILE_SIZE} allowed"
                )
            }
            SeedError::TooManyFiles(n) => write!(f, "{n} seed files do not fit in the root directory"),
        }
    }
}

impl std::error::Error for SeedError {}

/// Builds a NoCloud seed image holding `user-data` and `meta-data`.
pub fn nocloud_seed(user_data: &[u8], meta_data: &[u8]) -> Result<Vec<u8>, SeedError> {
    seed_iso(&[("user-data", user_data), ("meta-data", meta_data)])
}

/// Builds an ISO 9660 + Rock Ridge image labelled `cidata` with `files` (name, contents) in its root.
///
/// Output is deterministic; the order of `files` does not matter (records are sorted as ISO 9660 requires).
pub fn seed_iso(files: &[(&str, &[u8])]) -> Result<Vec<u8>, SeedError> {
    let mut entries: Vec<(String, String, &str, &[u8])> = Vec::with_capacity(files.len());
    for &(name, data) in files {
        let valid_chars = name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if name.is_empty() || name.len() > MAX_NAME_LEN || name.starts_with('.') || !valid_chars {
            return Err(SeedError::InvalidName(name.to_string()));
        }
        if data.len() > MAX_FILE_SIZE {
            return Err(SeedError::FileTooLarge {
                name: name.to_string(),
                size: data.len(),
            });
        }
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
        let (stem, ext) = (d_chars(stem, 8), d_chars(ext, 3));
        if entries.iter().any(|e| e.0 == stem && e.1 == ext) {
            return Err(SeedError::DuplicateName(name.to_string()));
        }
        entries.push((stem, ext, name, data));
    }
    // ISO 9660 orders records by name then extension; d-characters all sort after the implied space padding.
    entries.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));

    let mut dir = Vec::with_capacity(SECTOR);
    let mut root_su = vec![b'S', b'P', 7, 1, 0xBE, 0xEF, 0];
    root_su.extend_from_slice(&[b'E', b'R', (8 + ER_ID.len() + ER_DESC.len() + ER_SRC.len()) as u8, 1]);
    root_su.extend_from_slice(&[ER_ID.len() as u8, ER_DESC.len() as u8, ER_SRC.len() as u8, 1]);
    root_su.extend_from_slice(&[ER_ID, ER_DESC, ER_SRC].concat());
    let dir_su = [&[b'R', b'R', 5, 1, 0x01][..], &posix_attrs(0o040555, 2)].concat();
    root_su.extend_from_slice(&dir_su);
    dir_record(&mut dir, ROOT_LBA, SECTOR as u32, 2, &[0], &root_su);
    dir_record(&mut dir, ROOT_LBA, SECTOR as u32, 2, &[1], &dir_su);
    let mut next_lba = ROOT_LBA + 1;
    let mut extents = Vec::with_capacity(entries.len());
    for (stem, ext, name, data) in &entries {
        let mut su = vec![b'R', b'R', 5, 1, 0x09, b'N', b'M', (5 + name.len()) as u8, 1, 0];
        su.extend_from_slice(name.as_bytes());
        su.extend_from_slice(&posix_attrs(0o100444, 1));
        let lba = if data.is_empty() { 0 } else { next_lba };
        dir_record(
            &mut dir,
            lba,
            data.len() as u32,
            0,
            format!("{stem}.{ext};1").as_bytes(),
            &su,
        );
        extents.push(lba as usize * SECTOR);
        next_lba += data.len().div_ceil(SECTOR) as u32;
    }
    if dir.len() > SECTOR {
        return Err(SeedError::TooManyFiles(files.len()));
    }

    let mut img = vec![0u8; next_lba as usize * SECTOR];
    let mut root_record = Vec::with_capacity(34);
    dir_record(&mut root_record, ROOT_LBA, SECTOR as u32, 2, &[0], &[]);
    let pvd = &mut img[16 * SECTOR..17 * SECTOR];
    pvd[..7].copy_from_slice(b"\x01CD001\x01");
    pvd[8..40].fill(b' '); // system identifier
    pvd[40..72].copy_from_slice(&padded(VOLUME_ID, 32));
    pvd[80..88].copy_from_slice(&both32(next_lba)); // volume space size
    pvd[120..124].copy_from_slice(&both16(1)); // volume set size
    pvd[124..128].copy_from_slice(&both16(1)); // volume sequence number
    pvd[128..132].copy_from_slice(&both16(SECTOR as u16));
    pvd[132..140].copy_from_slice(&both32(10)); // path table size: one 10-byte entry
    pvd[140..144].copy_from_slice(&18u32.to_le_bytes());
    pvd[148..152].copy_from_slice(&19u32.to_be_bytes());
    pvd[156..190].copy_from_slice(&root_record);
    pvd[190..813].fill(b' '); // volume set, publisher, preparer, application, copyright/abstract/biblio ids
    for (i, date) in [
        b"1970010100000000",
        b"1970010100000000",
        b"0000000000000000",
        b"0000000000000000",
    ]
    .iter()
    .enumerate()
    {
        pvd[813 + 17 * i..829 + 17 * i].copy_from_slice(*date); // 17th byte: UTC offset 0
    }
    pvd[881] = 1; // file structure version
    img[17 * SECTOR..17 * SECTOR + 7].copy_from_slice(b"\xFFCD001\x01");
    for (lba, root) in [(18, ROOT_LBA.to_le_bytes()), (19, ROOT_LBA.to_be_bytes())] {
        let parent = if lba == 18 {
            1u16.to_le_bytes()
        } else {
            1u16.to_be_bytes()
        };
        let entry = [&[1u8, 0][..], &root, &parent, &[0, 0]].concat();
        img[lba * SECTOR..lba * SECTOR + 10].copy_from_slice(&entry);
    }
    img[ROOT_LBA as usize * SECTOR..][..dir.len()].copy_from_slice(&dir);
    for ((.., data), start) in entries.iter().zip(extents) {
        img[start..start + data.len()].copy_from_slice(data);
    }
    Ok(img)
}

/// Upper-cases and maps everything outside `A-Z 0-9 _` to `_`, keeping at most `max` characters.
fn d_chars(s: &str, max: usize) -> String {
    let map = |c: char| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    };
    s.chars().take(max).map(map).collect()
}

fn padded(s: &str, len: usize) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.resize(len, b' ');
    v
}

fn both16(v: u16) -> [u8; 4] {
    let (l, b) = (v.to_le_bytes(), v.to_be_bytes());
    [l[0], l[1], b[0], b[1]]
}

fn both32(v: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&v.to_le_bytes());
    out[4..].copy_from_slice(&v.to_be_bytes());
    out
}

/// Rock Ridge `PX` entry (RRIP 1.10 form): mode, link count, uid 0, gid 0.
fn posix_attrs(mode: u32, links: u32) -> Vec<u8> {
    [
        &[b'P', b'X', 36, 1][..],
        &both32(mode),
        &both32(links),
        &both32(0),
        &both32(0),
    ]
    .concat()
}

fn dir_record(out: &mut Vec<u8>, lba: u32, size: u32, flags: u8, id: &[u8], su: &[u8]) {
    let id_pad = usize::from(id.len().is_multiple_of(2));
    let len = (33 + id.len() + id_pad + su.len()).next_multiple_of(2);
    let start = out.len();
    out.extend_from_slice(&[len as u8, 0]);
    out.extend_from_slice(&both32(lba));
    out.extend_from_slice(&both32(size));
    out.extend_from_slice(&RECORD_DATE);
    out.extend_from_slice(&[flags, 0, 0]);
    out.extend_from_slice(&both16(1));
    out.push(id.len() as u8);
    out.extend_from_slice(id);
    out.resize(out.len() + id_pad, 0);
    out.extend_from_slice(su);
    out.resize(start + len, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le32(b: &[u8], off: usize) -> usize {
        u32::from_le_bytes(b[off..off + 4].try_into().unwrap()) as usize
    }

    /// Walks the root directory: (ISO identifier, Rock Ridge NM name, extent byte offset, size).
    fn root_entries(img: &[u8]) -> Vec<(String, String, usize, usize)> {
        let root = &img[16 * SECTOR + 156..];
        let (dir_lba, dir_len) = (le32(root, 2), le32(root, 10));
        let dir = &img[dir_lba * SECTOR..dir_lba * SECTOR + dir_len];
        let (mut out, mut pos) = (Vec::new(), 0);
        while pos < dir.len() && dir[pos] != 0 {
            let rec = &dir[pos..pos + dir[pos] as usize];
            let id_len = rec[32] as usize;
            assert_eq!(
                rec[2..6].iter().rev().collect::<Vec<_>>(),
                rec[6..10].iter().collect::<Vec<_>>()
            );
            let mut su = &rec[33 + id_len + usize::from(id_len.is_multiple_of(2))..];
            let mut nm = String::new();
            while su.len() >= 4 && su[2] >= 4 {
                if &su[..2] == b"NM" {
                    nm = String::from_utf8(su[5..su[2] as usize].to_vec()).unwrap();
                }
                su = &su[su[2] as usize..];
            }
            let id = String::from_utf8_lossy(&rec[33..33 + id_len]).into_owned();
            out.push((id, nm, le32(rec, 2) * SECTOR, le32(rec, 10)));
            pos += rec.len();
        }
        out
    }

    const NET: &[u8] = b"version: 2\nethernets: {}\n";

    fn sample() -> Vec<u8> {
        seed_iso(&[
            ("user-data", b"#cloud-config\n".as_slice()),
            ("meta-data", b"instance-id: i-1\n"),
            ("network-config", NET),
        ])
        .unwrap()
    }

    #[test]
    fn primary_volume_descriptor_parses_back() {
        let img = sample();
        let pvd = &img[16 * SECTOR..17 * SECTOR];
        assert_eq!((pvd[0], &pvd[1..6], pvd[6]), (1, b"CD001".as_slice(), 1));
        assert_eq!(&pvd[40..72], format!("{:<32}", "cidata").as_bytes());
        assert_eq!(img.len() % SECTOR, 0);
        assert_eq!(le32(pvd, 80), img.len() / SECTOR);
        assert_eq!(
            u32::from_be_bytes(pvd[84..88].try_into().unwrap()) as usize,
            img.len() / SECTOR
        );
        assert_eq!(le32(pvd, 128) & 0xFFFF, SECTOR);
        assert_eq!(&img[17 * SECTOR..17 * SECTOR + 6], b"\xFFCD001");
        assert!(img[..16 * SECTOR].iter().all(|&b| b == 0));
        // L and M path tables both point at the root directory extent.
        assert_eq!((le32(&img, 18 * SECTOR + 2), img[18 * SECTOR]), (ROOT_LBA as usize, 1));
        assert_eq!(&img[19 * SECTOR + 2..19 * SECTOR + 6], &ROOT_LBA.to_be_bytes());
    }

    #[test]
    fn root_directory_points_at_file_contents() {
        let img = sample();
        let entries = root_entries(&img);
        let ids: Vec<_> = entries.iter().map(|e| (e.0.as_str(), e.1.as_str())).collect();
        let expected = [
            ("\0", ""),
            ("\u{1}", ""),
            ("META_DAT.;1", "meta-data"),
            ("NETWORK_.;1", "network-config"),
        ];
        assert_eq!(ids[..4], expected);
        assert_eq!(ids[4], ("USER_DAT.;1", "user-data"));
        let root = 20 * SECTOR;
        assert_eq!(
            &img[root + 34..root + 41],
            b"SP\x07\x01\xBE\xEF\x00",
            "SP must open the root's SUSP area"
        );
        let want: [(&str, &[u8]); 3] = [
            ("meta-data", b"instance-id: i-1\n"),
            ("network-config", NET),
            ("user-data", b"#cloud-config\n"),
        ];
        for (e, (name, data)) in entries[2..].iter().zip(want) {
            assert_eq!((e.1.as_str(), &img[e.2..e.2 + e.3]), (name, data));
            assert_eq!(e.2 % SECTOR, 0);
        }
    }

    #[test]
    fn output_is_deterministic_and_order_independent() {
        assert_eq!(sample(), sample());
        let a = nocloud_seed(b"u", b"m").unwrap();
        assert_eq!(
            a,
            seed_iso(&[("meta-data", b"m".as_slice()), ("user-data", b"u")]).unwrap()
        );
        assert_ne!(a, nocloud_seed(b"u", b"M").unwrap());
    }

    #[test]
    fn empty_file_has_no_extent() {
        let img = nocloud_seed(b"", b"m").unwrap();
        let user = root_entries(&img).into_iter().find(|e| e.1 == "user-data").unwrap();
        assert_eq!((user.2, user.3), (0, 0));
        assert_eq!(img.len(), 22 * SECTOR);
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "",
            ".hidden",
            "..",
            "a/b",
            "../user-data",
            "with space",
            "ünï",
            &"x".repeat(65),
        ] {
            assert_eq!(seed_iso(&[(bad, b"")]), Err(SeedError::InvalidName(bad.to_string())));
        }
        let big = vec![0u8; MAX_FILE_SIZE + 1];
        let err = nocloud_seed(&big, b"").unwrap_err();
        assert_eq!(
            err,
            SeedError::FileTooLarge {
                name: "user-data".into(),
                size: MAX_FILE_SIZE + 1
            }
        );
        assert!(err.to_string().contains("user-data"));
        assert!(seed_iso(&[("x", &big[..MAX_FILE_SIZE])]).is_ok());
        let dup = seed_iso(&[("a-b", b"".as_slice()), ("A_B", b"")]);
        assert_eq!(dup, Err(SeedError::DuplicateName("A_B".into())));
        let long: Vec<String> = (0..20).map(|i| format!("{}.{i:03}", "n".repeat(60))).collect();
        let many: Vec<(&str, &[u8])> = long.iter().map(|n| (n.as_str(), b"".as_slice())).collect();
        assert_eq!(seed_iso(&many), Err(SeedError::TooManyFiles(20)));
    }

    /// Writes an example image for checking with blkid/isoinfo/mount: `cargo test -- --ignored`.
    #[test]
    #[ignore]
    fn write_example_image() {
        let path = std::env::var("NOCLOUD_ISO").unwrap_or_else(|_| "/tmp/nocloud-seed.iso".into());
        std::fs::write(&path, sample()).unwrap();
    }
}
