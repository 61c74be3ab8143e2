//! ioctl request names as strace spells them (its `ioctl.c`): the requests whose number
//! carries a size, a code or an index spelled out (`EVIOCGBIT(EV_KEY, 8)`, `HIDIOCGPHYS(8)`,
//! `MIXER_READ(13)`), then every name strace's table (`ioctlent0.h`, x86_64) has for the
//! code, joined with ` or ` (`MIXER_READ(13) or OTPSELECT`).

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{evdev, ioctlent};
use crate::text::XlatStyle;

/// `_IOC_WRITE` and `_IOC_READ` (`asm-generic/ioctl.h`).
pub(super) const IOC_WRITE: u64 = 1;
pub(super) const IOC_READ: u64 = 2;

/// The direction bits of `req`.
pub(super) fn dir(req: u64) -> u64 {
    req >> 30
}

/// The type (`_IOC_TYPE`).
pub(super) fn kind(req: u64) -> u8 {
    (req >> 8) as u8
}

/// The number (`_IOC_NR`).
pub(super) fn nr(req: u64) -> u64 {
    req & 0xff
}

/// The size (`_IOC_SIZE`).
pub(super) fn size(req: u64) -> u64 {
    (req >> 16) & 0x3fff
}

/// The name of `req`, `None` when strace has none (it prints `_IOC(...)` then); `style`
/// says how a code inside the name is spelled.
pub fn request_name(req: u64, style: XlatStyle) -> Option<Cow<'static, str>> {
    let spelled = number_name(req, style);
    let listed = ioctlent::ALL
        .binary_search_by_key(&req, |&(code, _)| code)
        .ok()
        .map(|i| ioctlent::ALL[i].1);
    match (spelled, listed) {
        (Some(s), Some(l)) => Some(format!("{s} or {l}").into()),
        (Some(s), None) => Some(s.into()),
        (None, l) => l.map(Into::into),
    }
}

/// `NAME(size)`.
fn sized(name: &str, req: u64) -> Option<String> {
    Some(format!("{name}({})", size(req)))
}

/// The name spelled from the request's number (strace's `ioctl_decode_command_number`).
fn number_name(req: u64, style: XlatStyle) -> Option<String> {
    let (d, n) = (dir(req), nr(req));
    match kind(req) {
        b'!' if req == 0x8008_2102 => Some("SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR".into()),
        b'E' => evdev::number_name(req, style),
        b'H' => match (d, n) {
            (IOC_READ, 0x04) => sized("HIDIOCGRAWNAME", req),
            (IOC_READ, 0x05) => sized("HIDIOCGRAWPHYS", req),
            (IOC_READ, 0x06) => sized("HIDIOCSFEATURE", req),
            (IOC_READ, 0x08) => sized("HIDIOCGRAWUNIQ", req),
            (IOC_READ, 0x12) => sized("HIDIOCGPHYS", req),
            (3, 0x06) => sized("HIDIOCSFEATURE", req),
            (3, 0x07) => sized("HIDIOCGFEATURE", req),
            _ => None,
        },
        b'M' => {
            let name = match d {
                IOC_WRITE => "MIXER_WRITE",
                IOC_READ => "MIXER_READ",
                _ => return None,
            };
            let mut s = String::from(name);
            let _ = write!(s, "({n})");
            Some(s)
        }
        b'U' if d == IOC_READ && n == 0x2c => sized("UI_GET_SYSNAME", req),
        b'j' if d == IOC_READ && n == 0x13 => sized("JSIOCGNAME", req),
        b'k' if d == IOC_WRITE && n == 0 => sized("SPI_IOC_MESSAGE", req),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_for_its_binary_search() {
        assert!(ioctlent::ALL.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn names_spelled_from_the_number_come_before_the_tables() {
        let name = |req| request_name(req, XlatStyle::Abbrev).map(Cow::into_owned);
        assert_eq!(
            name(0x8004_4d0d).as_deref(),
            Some("MIXER_READ(13) or OTPSELECT")
        );
        assert_eq!(name(0x8008_4812).as_deref(), Some("HIDIOCGPHYS(8)"));
        assert_eq!(
            name(0x8004_4801).as_deref(),
            Some("HIDIOCGRDESCSIZE or HIDIOCGVERSION")
        );
        assert_eq!(name(0x8008_6d01).as_deref(), Some("MMTIMER_GETRES"));
        assert_eq!(name(0x0000_dead), None);
    }
}
