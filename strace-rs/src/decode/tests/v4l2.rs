//! The Video4Linux2 requests of `ioctl/v4l2.rs`; expected lines as strace 6.1 prints them
//! (the shapes of strace's own `tests/ioctl_v4l2.c`).

use libc::EBADF;

use super::{at, call, check, Recorded};

const VIDIOC_G_CTRL: u64 = 0xc008_561b;
const VIDIOC_S_FMT: u64 = 0xc0d0_5605;
const VIDIOC_ENUM_FMT: u64 = 0xc040_5602;

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

#[test]
fn control_ids_are_named_or_counted_from_their_class() {
    check(
        call("ioctl", &[3, VIDIOC_G_CTRL, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().bytes(at(0x100), &u32s(&[0x0098_0000, 0]))),
        "ioctl(3, VIDIOC_G_CTRL, {id=V4L2_CTRL_CLASS_USER+0}) = -1 EBADF (Bad file descriptor)",
    );
    check(
        call("ioctl", &[3, VIDIOC_G_CTRL, at(0x100)])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x100), &u32s(&[0x0098_0900, 7]))),
        "ioctl(3, VIDIOC_G_CTRL, {id=V4L2_CID_BRIGHTNESS, value=7}) = 0",
    );
}

#[test]
fn pixel_format_is_printed_as_a_fourcc_with_its_name() {
    // struct v4l2_format: type, then the union at 8: pix {width, height, pixelformat,
    // field, bytesperline, sizeimage, colorspace}.
    let mut b = u32s(&[1, 0]);
    b.extend(u32s(&[
        640,
        480,
        u32::from_le_bytes(*b"YUYV"),
        1,
        1280,
        614400,
        8,
    ]));
    b.resize(0xd0, 0);
    check(
        call("ioctl", &[3, VIDIOC_S_FMT, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().bytes(at(0x100), &b)),
        "ioctl(3, VIDIOC_S_FMT, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE, fmt.pix={width=640, height=480, pixelformat=v4l2_fourcc('Y', 'U', 'Y', 'V') /* V4L2_PIX_FMT_YUYV */, field=V4L2_FIELD_NONE, bytesperline=1280, sizeimage=614400, colorspace=V4L2_COLORSPACE_SRGB}}) = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn format_description_is_completed_at_exit() {
    let entry = {
        let mut b = u32s(&[2, 1]);
        b.resize(0x40, 0);
        b
    };
    let mut done = entry.clone();
    done[8..12].copy_from_slice(&1u32.to_ne_bytes());
    done[12..17].copy_from_slice(b"MJPEG");
    done[44..48].copy_from_slice(b"MJPG");
    check(
        call("ioctl", &[3, VIDIOC_ENUM_FMT, at(0x100)])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x100), &entry))
            .exit_memory(Recorded::default().bytes(at(0x100), &done)),
        "ioctl(3, VIDIOC_ENUM_FMT, {index=2, type=V4L2_BUF_TYPE_VIDEO_CAPTURE, flags=V4L2_FMT_FLAG_COMPRESSED, description=\"MJPEG\", pixelformat=v4l2_fourcc('M', 'J', 'P', 'G') /* V4L2_PIX_FMT_MJPEG */}) = 0",
    );
}
