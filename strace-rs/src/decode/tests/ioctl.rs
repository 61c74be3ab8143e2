//! The ioctl families written after strace's decoders for its own tests (`ioctl_uffdio`,
//! `ioctl_dm`, `ioctl_termios`, `btrfs`, `ioctl_perf`, `ioctl`): expected lines as strace
//! 6.1 prints them in those tests.

use libc::EBADF;

use super::{at, call, check, Recorded};

const UFFDIO_API: u64 = 0xc018_aa3f;
const DM_VERSION: u64 = 0xc138_fd00;
const TCSETS2: u64 = 0x402c_542b;
const BTRFS_IOC_TREE_SEARCH: u64 = 0xd000_9411;
const PERF_EVENT_IOC_MODIFY_ATTRIBUTES: u64 = 0x4008_240b;
const OTPSELECT: u64 = 0x8004_4d0d;

#[test]
fn uffdio_api_shows_the_features_the_kernel_changed() {
    let entry = Recorded::default().u64s(at(0x100), &[0xaa, 0, 0]);
    let exit = Recorded::default().u64s(at(0x100), &[0xaa, 0x3, 0x8000_0000_0000_0003]);
    check(
        call("ioctl", &[3, UFFDIO_API, at(0x100)])
            .returns(0)
            .memory(entry)
            .exit_memory(exit),
        "ioctl(3, UFFDIO_API, {api=0xaa, features=0 => features=UFFD_FEATURE_PAGEFAULT_FLAG_WP|UFFD_FEATURE_EVENT_FORK, ioctls=1<<_UFFDIO_REGISTER|1<<_UFFDIO_UNREGISTER|1<<_UFFDIO_API}) = 0",
    );
}

#[test]
fn dm_header_prints_the_device_its_name_and_uuid() {
    let mut b = vec![0u8; 312];
    for (i, v) in [4u32, 1, 2, 305].iter().enumerate() {
        b[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
    }
    b[40..48].copy_from_slice(&0x1234u64.to_ne_bytes());
    b[48..51].copy_from_slice(b"nnn");
    b[176..179].copy_from_slice(b"uuu");
    check(
        call("ioctl", &[3, DM_VERSION, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().bytes(at(0x100), &b)),
        "ioctl(3, DM_VERSION, [{version=[4, 1, 2], data_size=305, dev=makedev(0x12, 0x34), name=\"nnn\", uuid=\"uuu\", flags=0}]) = -1 EBADF (Bad file descriptor)",
    );
    // Another ABI version: nothing after the version.
    b[0..4].copy_from_slice(&3u32.to_ne_bytes());
    check(
        call("ioctl", &[3, DM_VERSION, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().bytes(at(0x100), &b)),
        "ioctl(3, DM_VERSION, [{version=[3, 1, 2] /* unsupported device mapper ABI version */}]) = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn termios2_spells_delays_and_input_speed_with_unknown_bits_in_hex() {
    let words = [0xdead_4001u32, 0xbad0_5c45, 0x5001_0052, 0xfee0_1011];
    let mut b = vec![0u8; 44];
    for (i, v) in words.iter().enumerate() {
        b[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
    }
    check(
        call("ioctl", &[3, TCSETS2, at(0x100)])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x100), &b)),
        "ioctl(3, TCSETS2, {c_iflag=IGNBRK|IUTF8|0xdead0000, c_oflag=NL0|CR2|XTABS|BS0|VT1|FF0|OPOST|ONLCR|OFILL|0xbad00000, c_cflag=B75|B57600<<IBSHIFT|CS6|CSTOPB|CMSPAR, c_lflag=ISIG|ECHOE|FLUSHO|0xfee00000, ...}) = 0",
    );
}

#[test]
fn btrfs_tree_search_key_leaves_out_the_default_objectid_range_ends() {
    let key = [
        5,
        256,
        u64::MAX,
        0,
        u64::MAX,
        0,
        u64::MAX,
        0xffff_ffff_u64 << 32,
        10,
    ];
    check(
        call("ioctl", &[3, BTRFS_IOC_TREE_SEARCH, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().u64s(at(0x100), &key).u64s(at(0x148), &[0; 5])),
        "ioctl(3, BTRFS_IOC_TREE_SEARCH, {key={tree_id=BTRFS_FS_TREE_OBJECTID, max_objectid=UINT64_MAX, min_offset=0, max_offset=UINT64_MAX, min_transid=0, max_transid=UINT64_MAX, min_type=0, max_type=UINT32_MAX, nr_items=10}}) = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn perf_attr_is_abbreviated_after_its_flags() {
    // type, size, config, sample_period, sample_type, read_format, flags (disabled).
    let attr = [1 | (0x80 << 32), 2, 0, 0, 0, 1];
    check(
        call("ioctl", &[3, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().u64s(at(0x100), &attr)),
        "ioctl(3, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, {type=PERF_TYPE_SOFTWARE, size=PERF_ATTR_SIZE_VER7, config=PERF_COUNT_SW_PAGE_FAULTS, sample_period=0, sample_type=0, read_format=0, disabled=1, precise_ip=0 /* arbitrary skid */, ...}) = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn a_code_of_two_families_is_named_by_both_and_decoded_by_its_own() {
    check(
        call("ioctl", &[3, OTPSELECT, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().u32s(at(0x100), &[0])),
        "ioctl(3, MIXER_READ(13) or OTPSELECT, [MTD_OTP_OFF]) = -1 EBADF (Bad file descriptor)",
    );
}
