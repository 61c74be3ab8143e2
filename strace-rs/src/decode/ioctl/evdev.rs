//! The input event device requests (`linux/input.h`, type `'E'`): the fixed ones by name,
//! the ones carrying a size or an event type or axis in their number spelled out
//! (`EVIOCGNAME(16)`, `EVIOCGBIT(EV_KEY, 96)`, `EVIOCGABS(ABS_X)`), bitsets of event
//! codes as `[KEY_1 KEY_2]`.

use std::fmt::Write as _;

use super::names::{dir, nr, size, IOC_READ, IOC_WRITE};
use super::Family;
use crate::decode::{Ctx, Step};
use crate::text::{self, XlatStyle};

pub(super) const FAMILY: Family = Family {
    handles,
    enter,
    exit,
};

const EVIOCGVERSION: u64 = 0x8004_4501;
const EVIOCGID: u64 = 0x8008_4502;
const EVIOCGREP: u64 = 0x8008_4503;
const EVIOCSREP: u64 = 0x4008_4503;
const EVIOCGKEYCODE: u64 = 0x8008_4504;
const EVIOCGKEYCODE_V2: u64 = 0x8028_4504;
const EVIOCSKEYCODE: u64 = 0x4008_4504;
const EVIOCSKEYCODE_V2: u64 = 0x4028_4504;
const EVIOCSFF: u64 = 0x4030_4580;
const EVIOCRMFF: u64 = 0x4004_4581;
const EVIOCGEFFECTS: u64 = 0x8004_4584;
const EVIOCGRAB: u64 = 0x4004_4590;
const EVIOCREVOKE: u64 = 0x4004_4591;
const EVIOCSCLOCKID: u64 = 0x4004_45a0;

// The largest code of each kind (`*_MAX`, `linux/input-event-codes.h`).
const EV_MAX: u64 = 0x1f;
const KEY_MAX: u64 = 0x2ff;
const REL_MAX: u64 = 0x0f;
const ABS_MAX: u64 = 0x3f;
const MSC_MAX: u64 = 0x07;
const SW_MAX: u64 = 0x10;
const LED_MAX: u64 = 0x0f;
const SND_MAX: u64 = 0x07;
const REP_MAX: u64 = 0x01;
const FF_MAX: u64 = 0x7f;
const FF_STATUS_MAX: u64 = 0x01;
const INPUT_PROP_MAX: u64 = 0x1f;

const EV: text::Xlat = &[
    (0x0, "EV_SYN"),
    (0x1, "EV_KEY"),
    (0x2, "EV_REL"),
    (0x3, "EV_ABS"),
    (0x4, "EV_MSC"),
    (0x5, "EV_SW"),
    (0x11, "EV_LED"),
    (0x12, "EV_SND"),
    (0x14, "EV_REP"),
    (0x15, "EV_FF"),
    (0x16, "EV_PWR"),
    (0x17, "EV_FF_STATUS"),
];

const KEYS: text::Xlat = &[
    (0x0, "KEY_RESERVED"),
    (0x1, "KEY_ESC"),
    (0x2, "KEY_1"),
    (0x3, "KEY_2"),
    (0x4, "KEY_3"),
    (0x5, "KEY_4"),
    (0x6, "KEY_5"),
    (0x7, "KEY_6"),
    (0x8, "KEY_7"),
    (0x9, "KEY_8"),
    (0xa, "KEY_9"),
    (0xb, "KEY_0"),
    (0xc, "KEY_MINUS"),
    (0xd, "KEY_EQUAL"),
    (0xe, "KEY_BACKSPACE"),
    (0xf, "KEY_TAB"),
    (0x10, "KEY_Q"),
    (0x11, "KEY_W"),
    (0x12, "KEY_E"),
    (0x13, "KEY_R"),
    (0x14, "KEY_T"),
    (0x15, "KEY_Y"),
    (0x16, "KEY_U"),
    (0x17, "KEY_I"),
    (0x18, "KEY_O"),
    (0x19, "KEY_P"),
    (0x1a, "KEY_LEFTBRACE"),
    (0x1b, "KEY_RIGHTBRACE"),
    (0x1c, "KEY_ENTER"),
    (0x1d, "KEY_LEFTCTRL"),
    (0x1e, "KEY_A"),
    (0x1f, "KEY_S"),
    (0x20, "KEY_D"),
    (0x21, "KEY_F"),
    (0x22, "KEY_G"),
    (0x23, "KEY_H"),
    (0x24, "KEY_J"),
    (0x25, "KEY_K"),
    (0x26, "KEY_L"),
    (0x27, "KEY_SEMICOLON"),
    (0x28, "KEY_APOSTROPHE"),
    (0x29, "KEY_GRAVE"),
    (0x2a, "KEY_LEFTSHIFT"),
    (0x2b, "KEY_BACKSLASH"),
    (0x2c, "KEY_Z"),
    (0x2d, "KEY_X"),
    (0x2e, "KEY_C"),
    (0x2f, "KEY_V"),
    (0x30, "KEY_B"),
    (0x31, "KEY_N"),
    (0x32, "KEY_M"),
    (0x33, "KEY_COMMA"),
    (0x34, "KEY_DOT"),
    (0x35, "KEY_SLASH"),
    (0x36, "KEY_RIGHTSHIFT"),
    (0x37, "KEY_KPASTERISK"),
    (0x38, "KEY_LEFTALT"),
    (0x39, "KEY_SPACE"),
    (0x3a, "KEY_CAPSLOCK"),
    (0x3b, "KEY_F1"),
    (0x3c, "KEY_F2"),
    (0x3d, "KEY_F3"),
    (0x3e, "KEY_F4"),
    (0x3f, "KEY_F5"),
    (0x40, "KEY_F6"),
    (0x41, "KEY_F7"),
    (0x42, "KEY_F8"),
    (0x43, "KEY_F9"),
    (0x44, "KEY_F10"),
    (0x45, "KEY_NUMLOCK"),
    (0x46, "KEY_SCROLLLOCK"),
    (0x47, "KEY_KP7"),
    (0x48, "KEY_KP8"),
    (0x49, "KEY_KP9"),
    (0x4a, "KEY_KPMINUS"),
    (0x4b, "KEY_KP4"),
    (0x4c, "KEY_KP5"),
    (0x4d, "KEY_KP6"),
    (0x4e, "KEY_KPPLUS"),
    (0x4f, "KEY_KP1"),
    (0x50, "KEY_KP2"),
    (0x51, "KEY_KP3"),
    (0x52, "KEY_KP0"),
    (0x53, "KEY_KPDOT"),
    (0x55, "KEY_ZENKAKUHANKAKU"),
    (0x56, "KEY_102ND"),
    (0x57, "KEY_F11"),
    (0x58, "KEY_F12"),
    (0x59, "KEY_RO"),
    (0x5a, "KEY_KATAKANA"),
    (0x5b, "KEY_HIRAGANA"),
    (0x5c, "KEY_HENKAN"),
    (0x5d, "KEY_KATAKANAHIRAGANA"),
    (0x5e, "KEY_MUHENKAN"),
    (0x5f, "KEY_KPJPCOMMA"),
    (0x60, "KEY_KPENTER"),
    (0x61, "KEY_RIGHTCTRL"),
    (0x62, "KEY_KPSLASH"),
    (0x63, "KEY_SYSRQ"),
    (0x64, "KEY_RIGHTALT"),
    (0x65, "KEY_LINEFEED"),
    (0x66, "KEY_HOME"),
    (0x67, "KEY_UP"),
    (0x68, "KEY_PAGEUP"),
    (0x69, "KEY_LEFT"),
    (0x6a, "KEY_RIGHT"),
    (0x6b, "KEY_END"),
    (0x6c, "KEY_DOWN"),
    (0x6d, "KEY_PAGEDOWN"),
    (0x6e, "KEY_INSERT"),
    (0x6f, "KEY_DELETE"),
    (0x70, "KEY_MACRO"),
    (0x71, "KEY_MUTE"),
    (0x72, "KEY_VOLUMEDOWN"),
    (0x73, "KEY_VOLUMEUP"),
    (0x74, "KEY_POWER"),
    (0x75, "KEY_KPEQUAL"),
    (0x76, "KEY_KPPLUSMINUS"),
    (0x77, "KEY_PAUSE"),
    (0x78, "KEY_SCALE"),
    (0x79, "KEY_KPCOMMA"),
    (0x7a, "KEY_HANGEUL"),
    (0x7b, "KEY_HANJA"),
    (0x7c, "KEY_YEN"),
    (0x7d, "KEY_LEFTMETA"),
    (0x7e, "KEY_RIGHTMETA"),
    (0x7f, "KEY_COMPOSE"),
    (0x80, "KEY_STOP"),
    (0x81, "KEY_AGAIN"),
    (0x82, "KEY_PROPS"),
    (0x83, "KEY_UNDO"),
    (0x84, "KEY_FRONT"),
    (0x85, "KEY_COPY"),
    (0x86, "KEY_OPEN"),
    (0x87, "KEY_PASTE"),
    (0x88, "KEY_FIND"),
    (0x89, "KEY_CUT"),
    (0x8a, "KEY_HELP"),
    (0x8b, "KEY_MENU"),
    (0x8c, "KEY_CALC"),
    (0x8d, "KEY_SETUP"),
    (0x8e, "KEY_SLEEP"),
    (0x8f, "KEY_WAKEUP"),
    (0x90, "KEY_FILE"),
    (0x91, "KEY_SENDFILE"),
    (0x92, "KEY_DELETEFILE"),
    (0x93, "KEY_XFER"),
    (0x94, "KEY_PROG1"),
    (0x95, "KEY_PROG2"),
    (0x96, "KEY_WWW"),
    (0x97, "KEY_MSDOS"),
    (0x98, "KEY_COFFEE"),
    (0x99, "KEY_ROTATE_DISPLAY"),
    (0x9a, "KEY_CYCLEWINDOWS"),
    (0x9b, "KEY_MAIL"),
    (0x9c, "KEY_BOOKMARKS"),
    (0x9d, "KEY_COMPUTER"),
    (0x9e, "KEY_BACK"),
    (0x9f, "KEY_FORWARD"),
    (0xa0, "KEY_CLOSECD"),
    (0xa1, "KEY_EJECTCD"),
    (0xa2, "KEY_EJECTCLOSECD"),
    (0xa3, "KEY_NEXTSONG"),
    (0xa4, "KEY_PLAYPAUSE"),
    (0xa5, "KEY_PREVIOUSSONG"),
    (0xa6, "KEY_STOPCD"),
    (0xa7, "KEY_RECORD"),
    (0xa8, "KEY_REWIND"),
    (0xa9, "KEY_PHONE"),
    (0xaa, "KEY_ISO"),
    (0xab, "KEY_CONFIG"),
    (0xac, "KEY_HOMEPAGE"),
    (0xad, "KEY_REFRESH"),
    (0xae, "KEY_EXIT"),
    (0xaf, "KEY_MOVE"),
    (0xb0, "KEY_EDIT"),
    (0xb1, "KEY_SCROLLUP"),
    (0xb2, "KEY_SCROLLDOWN"),
    (0xb3, "KEY_KPLEFTPAREN"),
    (0xb4, "KEY_KPRIGHTPAREN"),
    (0xb5, "KEY_NEW"),
    (0xb6, "KEY_REDO"),
    (0xb7, "KEY_F13"),
    (0xb8, "KEY_F14"),
    (0xb9, "KEY_F15"),
    (0xba, "KEY_F16"),
    (0xbb, "KEY_F17"),
    (0xbc, "KEY_F18"),
    (0xbd, "KEY_F19"),
    (0xbe, "KEY_F20"),
    (0xbf, "KEY_F21"),
    (0xc0, "KEY_F22"),
    (0xc1, "KEY_F23"),
    (0xc2, "KEY_F24"),
    (0xc8, "KEY_PLAYCD"),
    (0xc9, "KEY_PAUSECD"),
    (0xca, "KEY_PROG3"),
    (0xcb, "KEY_PROG4"),
    (0xcc, "KEY_ALL_APPLICATIONS"),
    (0xcd, "KEY_SUSPEND"),
    (0xce, "KEY_CLOSE"),
    (0xcf, "KEY_PLAY"),
    (0xd0, "KEY_FASTFORWARD"),
    (0xd1, "KEY_BASSBOOST"),
    (0xd2, "KEY_PRINT"),
    (0xd3, "KEY_HP"),
    (0xd4, "KEY_CAMERA"),
    (0xd5, "KEY_SOUND"),
    (0xd6, "KEY_QUESTION"),
    (0xd7, "KEY_EMAIL"),
    (0xd8, "KEY_CHAT"),
    (0xd9, "KEY_SEARCH"),
    (0xda, "KEY_CONNECT"),
    (0xdb, "KEY_FINANCE"),
    (0xdc, "KEY_SPORT"),
    (0xdd, "KEY_SHOP"),
    (0xde, "KEY_ALTERASE"),
    (0xdf, "KEY_CANCEL"),
    (0xe0, "KEY_BRIGHTNESSDOWN"),
    (0xe1, "KEY_BRIGHTNESSUP"),
    (0xe2, "KEY_MEDIA"),
    (0xe3, "KEY_SWITCHVIDEOMODE"),
    (0xe4, "KEY_KBDILLUMTOGGLE"),
    (0xe5, "KEY_KBDILLUMDOWN"),
    (0xe6, "KEY_KBDILLUMUP"),
    (0xe7, "KEY_SEND"),
    (0xe8, "KEY_REPLY"),
    (0xe9, "KEY_FORWARDMAIL"),
    (0xea, "KEY_SAVE"),
    (0xeb, "KEY_DOCUMENTS"),
    (0xec, "KEY_BATTERY"),
    (0xed, "KEY_BLUETOOTH"),
    (0xee, "KEY_WLAN"),
    (0xef, "KEY_UWB"),
    (0xf0, "KEY_UNKNOWN"),
    (0xf1, "KEY_VIDEO_NEXT"),
    (0xf2, "KEY_VIDEO_PREV"),
    (0xf3, "KEY_BRIGHTNESS_CYCLE"),
    (0xf4, "KEY_BRIGHTNESS_AUTO"),
    (0xf5, "KEY_DISPLAY_OFF"),
    (0xf6, "KEY_WWAN"),
    (0xf7, "KEY_RFKILL"),
    (0xf8, "KEY_MICMUTE"),
    (0x100, "BTN_0"),
    (0x101, "BTN_1"),
    (0x102, "BTN_2"),
    (0x103, "BTN_3"),
    (0x104, "BTN_4"),
    (0x105, "BTN_5"),
    (0x106, "BTN_6"),
    (0x107, "BTN_7"),
    (0x108, "BTN_8"),
    (0x109, "BTN_9"),
    (0x110, "BTN_LEFT"),
    (0x111, "BTN_RIGHT"),
    (0x112, "BTN_MIDDLE"),
    (0x113, "BTN_SIDE"),
    (0x114, "BTN_EXTRA"),
    (0x115, "BTN_FORWARD"),
    (0x116, "BTN_BACK"),
    (0x117, "BTN_TASK"),
    (0x120, "BTN_TRIGGER"),
    (0x121, "BTN_THUMB"),
    (0x122, "BTN_THUMB2"),
    (0x123, "BTN_TOP"),
    (0x124, "BTN_TOP2"),
    (0x125, "BTN_PINKIE"),
    (0x126, "BTN_BASE"),
    (0x127, "BTN_BASE2"),
    (0x128, "BTN_BASE3"),
    (0x129, "BTN_BASE4"),
    (0x12a, "BTN_BASE5"),
    (0x12b, "BTN_BASE6"),
    (0x12f, "BTN_DEAD"),
    (0x130, "BTN_SOUTH"),
    (0x131, "BTN_EAST"),
    (0x132, "BTN_C"),
    (0x133, "BTN_NORTH"),
    (0x134, "BTN_WEST"),
    (0x135, "BTN_Z"),
    (0x136, "BTN_TL"),
    (0x137, "BTN_TR"),
    (0x138, "BTN_TL2"),
    (0x139, "BTN_TR2"),
    (0x13a, "BTN_SELECT"),
    (0x13b, "BTN_START"),
    (0x13c, "BTN_MODE"),
    (0x13d, "BTN_THUMBL"),
    (0x13e, "BTN_THUMBR"),
    (0x140, "BTN_TOOL_PEN"),
    (0x141, "BTN_TOOL_RUBBER"),
    (0x142, "BTN_TOOL_BRUSH"),
    (0x143, "BTN_TOOL_PENCIL"),
    (0x144, "BTN_TOOL_AIRBRUSH"),
    (0x145, "BTN_TOOL_FINGER"),
    (0x146, "BTN_TOOL_MOUSE"),
    (0x147, "BTN_TOOL_LENS"),
    (0x148, "BTN_TOOL_QUINTTAP"),
    (0x149, "BTN_STYLUS3"),
    (0x14a, "BTN_TOUCH"),
    (0x14b, "BTN_STYLUS"),
    (0x14c, "BTN_STYLUS2"),
    (0x14d, "BTN_TOOL_DOUBLETAP"),
    (0x14e, "BTN_TOOL_TRIPLETAP"),
    (0x14f, "BTN_TOOL_QUADTAP"),
    (0x150, "BTN_GEAR_DOWN"),
    (0x151, "BTN_GEAR_UP"),
    (0x160, "KEY_OK"),
    (0x161, "KEY_SELECT"),
    (0x162, "KEY_GOTO"),
    (0x163, "KEY_CLEAR"),
    (0x164, "KEY_POWER2"),
    (0x165, "KEY_OPTION"),
    (0x166, "KEY_INFO"),
    (0x167, "KEY_TIME"),
    (0x168, "KEY_VENDOR"),
    (0x169, "KEY_ARCHIVE"),
    (0x16a, "KEY_PROGRAM"),
    (0x16b, "KEY_CHANNEL"),
    (0x16c, "KEY_FAVORITES"),
    (0x16d, "KEY_EPG"),
    (0x16e, "KEY_PVR"),
    (0x16f, "KEY_MHP"),
    (0x170, "KEY_LANGUAGE"),
    (0x171, "KEY_TITLE"),
    (0x172, "KEY_SUBTITLE"),
    (0x173, "KEY_ANGLE"),
    (0x174, "KEY_ZOOM"),
    (0x175, "KEY_MODE"),
    (0x176, "KEY_KEYBOARD"),
    (0x177, "KEY_SCREEN"),
    (0x178, "KEY_PC"),
    (0x179, "KEY_TV"),
    (0x17a, "KEY_TV2"),
    (0x17b, "KEY_VCR"),
    (0x17c, "KEY_VCR2"),
    (0x17d, "KEY_SAT"),
    (0x17e, "KEY_SAT2"),
    (0x17f, "KEY_CD"),
    (0x180, "KEY_TAPE"),
    (0x181, "KEY_RADIO"),
    (0x182, "KEY_TUNER"),
    (0x183, "KEY_PLAYER"),
    (0x184, "KEY_TEXT"),
    (0x185, "KEY_DVD"),
    (0x186, "KEY_AUX"),
    (0x187, "KEY_MP3"),
    (0x188, "KEY_AUDIO"),
    (0x189, "KEY_VIDEO"),
    (0x18a, "KEY_DIRECTORY"),
    (0x18b, "KEY_LIST"),
    (0x18c, "KEY_MEMO"),
    (0x18d, "KEY_CALENDAR"),
    (0x18e, "KEY_RED"),
    (0x18f, "KEY_GREEN"),
    (0x190, "KEY_YELLOW"),
    (0x191, "KEY_BLUE"),
    (0x192, "KEY_CHANNELUP"),
    (0x193, "KEY_CHANNELDOWN"),
    (0x194, "KEY_FIRST"),
    (0x195, "KEY_LAST"),
    (0x196, "KEY_AB"),
    (0x197, "KEY_NEXT"),
    (0x198, "KEY_RESTART"),
    (0x199, "KEY_SLOW"),
    (0x19a, "KEY_SHUFFLE"),
    (0x19b, "KEY_BREAK"),
    (0x19c, "KEY_PREVIOUS"),
    (0x19d, "KEY_DIGITS"),
    (0x19e, "KEY_TEEN"),
    (0x19f, "KEY_TWEN"),
    (0x1a0, "KEY_VIDEOPHONE"),
    (0x1a1, "KEY_GAMES"),
    (0x1a2, "KEY_ZOOMIN"),
    (0x1a3, "KEY_ZOOMOUT"),
    (0x1a4, "KEY_ZOOMRESET"),
    (0x1a5, "KEY_WORDPROCESSOR"),
    (0x1a6, "KEY_EDITOR"),
    (0x1a7, "KEY_SPREADSHEET"),
    (0x1a8, "KEY_GRAPHICSEDITOR"),
    (0x1a9, "KEY_PRESENTATION"),
    (0x1aa, "KEY_DATABASE"),
    (0x1ab, "KEY_NEWS"),
    (0x1ac, "KEY_VOICEMAIL"),
    (0x1ad, "KEY_ADDRESSBOOK"),
    (0x1ae, "KEY_MESSENGER"),
    (0x1af, "KEY_DISPLAYTOGGLE"),
    (0x1b0, "KEY_SPELLCHECK"),
    (0x1b1, "KEY_LOGOFF"),
    (0x1b2, "KEY_DOLLAR"),
    (0x1b3, "KEY_EURO"),
    (0x1b4, "KEY_FRAMEBACK"),
    (0x1b5, "KEY_FRAMEFORWARD"),
    (0x1b6, "KEY_CONTEXT_MENU"),
    (0x1b7, "KEY_MEDIA_REPEAT"),
    (0x1b8, "KEY_10CHANNELSUP"),
    (0x1b9, "KEY_10CHANNELSDOWN"),
    (0x1ba, "KEY_IMAGES"),
    (0x1bc, "KEY_NOTIFICATION_CENTER"),
    (0x1bd, "KEY_PICKUP_PHONE"),
    (0x1be, "KEY_HANGUP_PHONE"),
    (0x1c0, "KEY_DEL_EOL"),
    (0x1c1, "KEY_DEL_EOS"),
    (0x1c2, "KEY_INS_LINE"),
    (0x1c3, "KEY_DEL_LINE"),
    (0x1d0, "KEY_FN"),
    (0x1d1, "KEY_FN_ESC"),
    (0x1d2, "KEY_FN_F1"),
    (0x1d3, "KEY_FN_F2"),
    (0x1d4, "KEY_FN_F3"),
    (0x1d5, "KEY_FN_F4"),
    (0x1d6, "KEY_FN_F5"),
    (0x1d7, "KEY_FN_F6"),
    (0x1d8, "KEY_FN_F7"),
    (0x1d9, "KEY_FN_F8"),
    (0x1da, "KEY_FN_F9"),
    (0x1db, "KEY_FN_F10"),
    (0x1dc, "KEY_FN_F11"),
    (0x1dd, "KEY_FN_F12"),
    (0x1de, "KEY_FN_1"),
    (0x1df, "KEY_FN_2"),
    (0x1e0, "KEY_FN_D"),
    (0x1e1, "KEY_FN_E"),
    (0x1e2, "KEY_FN_F"),
    (0x1e3, "KEY_FN_S"),
    (0x1e4, "KEY_FN_B"),
    (0x1e5, "KEY_FN_RIGHT_SHIFT"),
    (0x1f1, "KEY_BRL_DOT1"),
    (0x1f2, "KEY_BRL_DOT2"),
    (0x1f3, "KEY_BRL_DOT3"),
    (0x1f4, "KEY_BRL_DOT4"),
    (0x1f5, "KEY_BRL_DOT5"),
    (0x1f6, "KEY_BRL_DOT6"),
    (0x1f7, "KEY_BRL_DOT7"),
    (0x1f8, "KEY_BRL_DOT8"),
    (0x1f9, "KEY_BRL_DOT9"),
    (0x1fa, "KEY_BRL_DOT10"),
    (0x200, "KEY_NUMERIC_0"),
    (0x201, "KEY_NUMERIC_1"),
    (0x202, "KEY_NUMERIC_2"),
    (0x203, "KEY_NUMERIC_3"),
    (0x204, "KEY_NUMERIC_4"),
    (0x205, "KEY_NUMERIC_5"),
    (0x206, "KEY_NUMERIC_6"),
    (0x207, "KEY_NUMERIC_7"),
    (0x208, "KEY_NUMERIC_8"),
    (0x209, "KEY_NUMERIC_9"),
    (0x20a, "KEY_NUMERIC_STAR"),
    (0x20b, "KEY_NUMERIC_POUND"),
    (0x20c, "KEY_NUMERIC_A"),
    (0x20d, "KEY_NUMERIC_B"),
    (0x20e, "KEY_NUMERIC_C"),
    (0x20f, "KEY_NUMERIC_D"),
    (0x210, "KEY_CAMERA_FOCUS"),
    (0x211, "KEY_WPS_BUTTON"),
    (0x212, "KEY_TOUCHPAD_TOGGLE"),
    (0x213, "KEY_TOUCHPAD_ON"),
    (0x214, "KEY_TOUCHPAD_OFF"),
    (0x215, "KEY_CAMERA_ZOOMIN"),
    (0x216, "KEY_CAMERA_ZOOMOUT"),
    (0x217, "KEY_CAMERA_UP"),
    (0x218, "KEY_CAMERA_DOWN"),
    (0x219, "KEY_CAMERA_LEFT"),
    (0x21a, "KEY_CAMERA_RIGHT"),
    (0x21b, "KEY_ATTENDANT_ON"),
    (0x21c, "KEY_ATTENDANT_OFF"),
    (0x21d, "KEY_ATTENDANT_TOGGLE"),
    (0x21e, "KEY_LIGHTS_TOGGLE"),
    (0x220, "BTN_DPAD_UP"),
    (0x221, "BTN_DPAD_DOWN"),
    (0x222, "BTN_DPAD_LEFT"),
    (0x223, "BTN_DPAD_RIGHT"),
    (0x230, "KEY_ALS_TOGGLE"),
    (0x231, "KEY_ROTATE_LOCK_TOGGLE"),
    (0x240, "KEY_BUTTONCONFIG"),
    (0x241, "KEY_TASKMANAGER"),
    (0x242, "KEY_JOURNAL"),
    (0x243, "KEY_CONTROLPANEL"),
    (0x244, "KEY_APPSELECT"),
    (0x245, "KEY_SCREENSAVER"),
    (0x246, "KEY_VOICECOMMAND"),
    (0x247, "KEY_ASSISTANT"),
    (0x248, "KEY_KBD_LAYOUT_NEXT"),
    (0x249, "KEY_EMOJI_PICKER"),
    (0x24a, "KEY_DICTATE"),
    (0x250, "KEY_BRIGHTNESS_MIN"),
    (0x251, "KEY_BRIGHTNESS_MAX"),
    (0x260, "KEY_KBDINPUTASSIST_PREV"),
    (0x261, "KEY_KBDINPUTASSIST_NEXT"),
    (0x262, "KEY_KBDINPUTASSIST_PREVGROUP"),
    (0x263, "KEY_KBDINPUTASSIST_NEXTGROUP"),
    (0x264, "KEY_KBDINPUTASSIST_ACCEPT"),
    (0x265, "KEY_KBDINPUTASSIST_CANCEL"),
    (0x266, "KEY_RIGHT_UP"),
    (0x267, "KEY_RIGHT_DOWN"),
    (0x268, "KEY_LEFT_UP"),
    (0x269, "KEY_LEFT_DOWN"),
    (0x26a, "KEY_ROOT_MENU"),
    (0x26b, "KEY_MEDIA_TOP_MENU"),
    (0x26c, "KEY_NUMERIC_11"),
    (0x26d, "KEY_NUMERIC_12"),
    (0x26e, "KEY_AUDIO_DESC"),
    (0x26f, "KEY_3D_MODE"),
    (0x270, "KEY_NEXT_FAVORITE"),
    (0x271, "KEY_STOP_RECORD"),
    (0x272, "KEY_PAUSE_RECORD"),
    (0x273, "KEY_VOD"),
    (0x274, "KEY_UNMUTE"),
    (0x275, "KEY_FASTREVERSE"),
    (0x276, "KEY_SLOWREVERSE"),
    (0x277, "KEY_DATA"),
    (0x278, "KEY_ONSCREEN_KEYBOARD"),
    (0x279, "KEY_PRIVACY_SCREEN_TOGGLE"),
    (0x27a, "KEY_SELECTIVE_SCREENSHOT"),
    (0x27b, "KEY_NEXT_ELEMENT"),
    (0x27c, "KEY_PREVIOUS_ELEMENT"),
    (0x27d, "KEY_AUTOPILOT_ENGAGE_TOGGLE"),
    (0x27e, "KEY_MARK_WAYPOINT"),
    (0x27f, "KEY_SOS"),
    (0x280, "KEY_NAV_CHART"),
    (0x281, "KEY_FISHING_CHART"),
    (0x282, "KEY_SINGLE_RANGE_RADAR"),
    (0x283, "KEY_DUAL_RANGE_RADAR"),
    (0x284, "KEY_RADAR_OVERLAY"),
    (0x285, "KEY_TRADITIONAL_SONAR"),
    (0x286, "KEY_CLEARVU_SONAR"),
    (0x287, "KEY_SIDEVU_SONAR"),
    (0x288, "KEY_NAV_INFO"),
    (0x289, "KEY_BRIGHTNESS_MENU"),
    (0x290, "KEY_MACRO1"),
    (0x291, "KEY_MACRO2"),
    (0x292, "KEY_MACRO3"),
    (0x293, "KEY_MACRO4"),
    (0x294, "KEY_MACRO5"),
    (0x295, "KEY_MACRO6"),
    (0x296, "KEY_MACRO7"),
    (0x297, "KEY_MACRO8"),
    (0x298, "KEY_MACRO9"),
    (0x299, "KEY_MACRO10"),
    (0x29a, "KEY_MACRO11"),
    (0x29b, "KEY_MACRO12"),
    (0x29c, "KEY_MACRO13"),
    (0x29d, "KEY_MACRO14"),
    (0x29e, "KEY_MACRO15"),
    (0x29f, "KEY_MACRO16"),
    (0x2a0, "KEY_MACRO17"),
    (0x2a1, "KEY_MACRO18"),
    (0x2a2, "KEY_MACRO19"),
    (0x2a3, "KEY_MACRO20"),
    (0x2a4, "KEY_MACRO21"),
    (0x2a5, "KEY_MACRO22"),
    (0x2a6, "KEY_MACRO23"),
    (0x2a7, "KEY_MACRO24"),
    (0x2a8, "KEY_MACRO25"),
    (0x2a9, "KEY_MACRO26"),
    (0x2aa, "KEY_MACRO27"),
    (0x2ab, "KEY_MACRO28"),
    (0x2ac, "KEY_MACRO29"),
    (0x2ad, "KEY_MACRO30"),
    (0x2b0, "KEY_MACRO_RECORD_START"),
    (0x2b1, "KEY_MACRO_RECORD_STOP"),
    (0x2b2, "KEY_MACRO_PRESET_CYCLE"),
    (0x2b3, "KEY_MACRO_PRESET1"),
    (0x2b4, "KEY_MACRO_PRESET2"),
    (0x2b5, "KEY_MACRO_PRESET3"),
    (0x2b8, "KEY_KBD_LCD_MENU1"),
    (0x2b9, "KEY_KBD_LCD_MENU2"),
    (0x2ba, "KEY_KBD_LCD_MENU3"),
    (0x2bb, "KEY_KBD_LCD_MENU4"),
    (0x2bc, "KEY_KBD_LCD_MENU5"),
    (0x2c0, "BTN_TRIGGER_HAPPY1"),
    (0x2c1, "BTN_TRIGGER_HAPPY2"),
    (0x2c2, "BTN_TRIGGER_HAPPY3"),
    (0x2c3, "BTN_TRIGGER_HAPPY4"),
    (0x2c4, "BTN_TRIGGER_HAPPY5"),
    (0x2c5, "BTN_TRIGGER_HAPPY6"),
    (0x2c6, "BTN_TRIGGER_HAPPY7"),
    (0x2c7, "BTN_TRIGGER_HAPPY8"),
    (0x2c8, "BTN_TRIGGER_HAPPY9"),
    (0x2c9, "BTN_TRIGGER_HAPPY10"),
    (0x2ca, "BTN_TRIGGER_HAPPY11"),
    (0x2cb, "BTN_TRIGGER_HAPPY12"),
    (0x2cc, "BTN_TRIGGER_HAPPY13"),
    (0x2cd, "BTN_TRIGGER_HAPPY14"),
    (0x2ce, "BTN_TRIGGER_HAPPY15"),
    (0x2cf, "BTN_TRIGGER_HAPPY16"),
    (0x2d0, "BTN_TRIGGER_HAPPY17"),
    (0x2d1, "BTN_TRIGGER_HAPPY18"),
    (0x2d2, "BTN_TRIGGER_HAPPY19"),
    (0x2d3, "BTN_TRIGGER_HAPPY20"),
    (0x2d4, "BTN_TRIGGER_HAPPY21"),
    (0x2d5, "BTN_TRIGGER_HAPPY22"),
    (0x2d6, "BTN_TRIGGER_HAPPY23"),
    (0x2d7, "BTN_TRIGGER_HAPPY24"),
    (0x2d8, "BTN_TRIGGER_HAPPY25"),
    (0x2d9, "BTN_TRIGGER_HAPPY26"),
    (0x2da, "BTN_TRIGGER_HAPPY27"),
    (0x2db, "BTN_TRIGGER_HAPPY28"),
    (0x2dc, "BTN_TRIGGER_HAPPY29"),
    (0x2dd, "BTN_TRIGGER_HAPPY30"),
    (0x2de, "BTN_TRIGGER_HAPPY31"),
    (0x2df, "BTN_TRIGGER_HAPPY32"),
    (0x2e0, "BTN_TRIGGER_HAPPY33"),
    (0x2e1, "BTN_TRIGGER_HAPPY34"),
    (0x2e2, "BTN_TRIGGER_HAPPY35"),
    (0x2e3, "BTN_TRIGGER_HAPPY36"),
    (0x2e4, "BTN_TRIGGER_HAPPY37"),
    (0x2e5, "BTN_TRIGGER_HAPPY38"),
    (0x2e6, "BTN_TRIGGER_HAPPY39"),
    (0x2e7, "BTN_TRIGGER_HAPPY40"),
];

const ABS: text::Xlat = &[
    (0x0, "ABS_X"),
    (0x1, "ABS_Y"),
    (0x2, "ABS_Z"),
    (0x3, "ABS_RX"),
    (0x4, "ABS_RY"),
    (0x5, "ABS_RZ"),
    (0x6, "ABS_THROTTLE"),
    (0x7, "ABS_RUDDER"),
    (0x8, "ABS_WHEEL"),
    (0x9, "ABS_GAS"),
    (0xa, "ABS_BRAKE"),
    (0x10, "ABS_HAT0X"),
    (0x11, "ABS_HAT0Y"),
    (0x12, "ABS_HAT1X"),
    (0x13, "ABS_HAT1Y"),
    (0x14, "ABS_HAT2X"),
    (0x15, "ABS_HAT2Y"),
    (0x16, "ABS_HAT3X"),
    (0x17, "ABS_HAT3Y"),
    (0x18, "ABS_PRESSURE"),
    (0x19, "ABS_DISTANCE"),
    (0x1a, "ABS_TILT_X"),
    (0x1b, "ABS_TILT_Y"),
    (0x1c, "ABS_TOOL_WIDTH"),
    (0x20, "ABS_VOLUME"),
    (0x21, "ABS_PROFILE"),
    (0x28, "ABS_MISC"),
    (0x2e, "ABS_RESERVED"),
    (0x2f, "ABS_MT_SLOT"),
    (0x30, "ABS_MT_TOUCH_MAJOR"),
    (0x31, "ABS_MT_TOUCH_MINOR"),
    (0x32, "ABS_MT_WIDTH_MAJOR"),
    (0x33, "ABS_MT_WIDTH_MINOR"),
    (0x34, "ABS_MT_ORIENTATION"),
    (0x35, "ABS_MT_POSITION_X"),
    (0x36, "ABS_MT_POSITION_Y"),
    (0x37, "ABS_MT_TOOL_TYPE"),
    (0x38, "ABS_MT_BLOB_ID"),
    (0x39, "ABS_MT_TRACKING_ID"),
    (0x3a, "ABS_MT_PRESSURE"),
    (0x3b, "ABS_MT_DISTANCE"),
    (0x3c, "ABS_MT_TOOL_X"),
    (0x3d, "ABS_MT_TOOL_Y"),
];

const REL: text::Xlat = &[
    (0x0, "REL_X"),
    (0x1, "REL_Y"),
    (0x2, "REL_Z"),
    (0x3, "REL_RX"),
    (0x4, "REL_RY"),
    (0x5, "REL_RZ"),
    (0x6, "REL_HWHEEL"),
    (0x7, "REL_DIAL"),
    (0x8, "REL_WHEEL"),
    (0x9, "REL_MISC"),
    (0xa, "REL_RESERVED"),
    (0xb, "REL_WHEEL_HI_RES"),
    (0xc, "REL_HWHEEL_HI_RES"),
];

const MSC: text::Xlat = &[
    (0x0, "MSC_SERIAL"),
    (0x1, "MSC_PULSELED"),
    (0x2, "MSC_GESTURE"),
    (0x3, "MSC_RAW"),
    (0x4, "MSC_SCAN"),
    (0x5, "MSC_TIMESTAMP"),
];

const SW: text::Xlat = &[
    (0x0, "SW_LID"),
    (0x1, "SW_TABLET_MODE"),
    (0x2, "SW_HEADPHONE_INSERT"),
    (0x3, "SW_RFKILL_ALL"),
    (0x4, "SW_MICROPHONE_INSERT"),
    (0x5, "SW_DOCK"),
    (0x6, "SW_LINEOUT_INSERT"),
    (0x7, "SW_JACK_PHYSICAL_INSERT"),
    (0x8, "SW_VIDEOOUT_INSERT"),
    (0x9, "SW_CAMERA_LENS_COVER"),
    (0xa, "SW_KEYPAD_SLIDE"),
    (0xb, "SW_FRONT_PROXIMITY"),
    (0xc, "SW_ROTATE_LOCK"),
    (0xd, "SW_LINEIN_INSERT"),
    (0xe, "SW_MUTE_DEVICE"),
    (0xf, "SW_PEN_INSERTED"),
];

const LEDS: text::Xlat = &[
    (0x0, "LED_NUML"),
    (0x1, "LED_CAPSL"),
    (0x2, "LED_SCROLLL"),
    (0x3, "LED_COMPOSE"),
    (0x4, "LED_KANA"),
    (0x5, "LED_SLEEP"),
    (0x6, "LED_SUSPEND"),
    (0x7, "LED_MUTE"),
    (0x8, "LED_MISC"),
    (0x9, "LED_MAIL"),
    (0xa, "LED_CHARGING"),
];

const SND: text::Xlat = &[(0x0, "SND_CLICK"), (0x1, "SND_BELL"), (0x2, "SND_TONE")];

const REP: text::Xlat = &[(0x0, "REP_DELAY"), (0x1, "REP_PERIOD")];

const FF_TYPES: text::Xlat = &[
    (0x50, "FF_RUMBLE"),
    (0x51, "FF_PERIODIC"),
    (0x52, "FF_CONSTANT"),
    (0x53, "FF_SPRING"),
    (0x54, "FF_FRICTION"),
    (0x55, "FF_DAMPER"),
    (0x56, "FF_INERTIA"),
    (0x57, "FF_RAMP"),
    (0x58, "FF_SQUARE"),
    (0x59, "FF_TRIANGLE"),
    (0x5a, "FF_SINE"),
    (0x5b, "FF_SAW_UP"),
    (0x5c, "FF_SAW_DOWN"),
    (0x5d, "FF_CUSTOM"),
    (0x60, "FF_GAIN"),
    (0x61, "FF_AUTOCENTER"),
];

const FF_STATUS: text::Xlat = &[(0x0, "FF_STATUS_STOPPED"), (0x1, "FF_STATUS_PLAYING")];

const PROPS: text::Xlat = &[
    (0x0, "INPUT_PROP_POINTER"),
    (0x1, "INPUT_PROP_DIRECT"),
    (0x2, "INPUT_PROP_BUTTONPAD"),
    (0x3, "INPUT_PROP_SEMI_MT"),
    (0x4, "INPUT_PROP_TOPBUTTONPAD"),
    (0x5, "INPUT_PROP_POINTING_STICK"),
    (0x6, "INPUT_PROP_ACCELEROMETER"),
];

const MT_SLOTS: text::Xlat = &[
    (0x2f, "ABS_MT_SLOT"),
    (0x30, "ABS_MT_TOUCH_MAJOR"),
    (0x31, "ABS_MT_TOUCH_MINOR"),
    (0x32, "ABS_MT_WIDTH_MAJOR"),
    (0x33, "ABS_MT_WIDTH_MINOR"),
    (0x34, "ABS_MT_ORIENTATION"),
    (0x35, "ABS_MT_POSITION_X"),
    (0x36, "ABS_MT_POSITION_Y"),
    (0x37, "ABS_MT_TOOL_TYPE"),
    (0x38, "ABS_MT_BLOB_ID"),
    (0x39, "ABS_MT_TRACKING_ID"),
    (0x3a, "ABS_MT_PRESSURE"),
    (0x3b, "ABS_MT_DISTANCE"),
    (0x3c, "ABS_MT_TOOL_X"),
    (0x3d, "ABS_MT_TOOL_Y"),
];

fn is_evdev(req: u64) -> bool {
    (req >> 8) & 0xff == u64::from(b'E')
}

/// A code inside a request's name: its name, else the number (with `/* dflt */` outside
/// `-X verbose`, where the whole name is already a comment).
fn code_in_name(out: &mut String, style: XlatStyle, table: text::Xlat, v: u64, dflt: &str) {
    match (text::lookup(table, v), style) {
        (Some(n), _) => out.push_str(n),
        (None, XlatStyle::Verbose) => {
            let _ = write!(out, "{v:#x}");
        }
        (None, _) => {
            let _ = write!(out, "{v:#x} /* {dflt} */");
        }
    }
}

/// The name spelled from an `'E'` request's number (`EVIOCGBIT(EV_KEY, 8)`), `None` for the
/// others (named by strace's table).
pub(super) fn number_name(req: u64, style: XlatStyle) -> Option<String> {
    let (nr, size) = (nr(req), size(req));
    let mut s = String::new();
    if dir(req) == IOC_WRITE && (0xc0..=0xff).contains(&nr) {
        s.push_str("EVIOCSABS(");
        code_in_name(&mut s, style, ABS, nr - 0xc0, "ABS_???");
        s.push(')');
        return Some(s);
    }
    if dir(req) == IOC_READ {
        match nr {
            0x20..=0x3f => {
                s.push_str("EVIOCGBIT(");
                if nr == 0x20 {
                    s.push('0');
                } else {
                    code_in_name(&mut s, style, EV, nr - 0x20, "EV_???");
                }
                let _ = write!(s, ", {size})");
                return Some(s);
            }
            0x40..=0x7f => {
                s.push_str("EVIOCGABS(");
                code_in_name(&mut s, style, ABS, nr - 0x40, "ABS_???");
                s.push(')');
                return Some(s);
            }
            _ => {}
        }
        let sized = match nr {
            0x06 => "EVIOCGNAME",
            0x07 => "EVIOCGPHYS",
            0x08 => "EVIOCGUNIQ",
            0x09 => "EVIOCGPROP",
            0x0a => "EVIOCGMTSLOTS",
            0x18 => "EVIOCGKEY",
            0x19 => "EVIOCGLED",
            0x1a => "EVIOCGSND",
            0x1b => "EVIOCGSW",
            _ => "",
        };
        if !sized.is_empty() {
            return Some(format!("{sized}({size})"));
        }
    }
    None
}

/// Reads and writes of type `'E'` (strace leaves the others to the generic printing).
fn handles(req: u64) -> bool {
    is_evdev(req) && matches!(dir(req), IOC_READ | IOC_WRITE)
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    if dir(req) == IOC_READ {
        return Step::Exit;
    }
    let arg = ctx.arg(2);
    match req {
        EVIOCSREP => pair_u32(ctx, arg),
        EVIOCSKEYCODE => keycode(ctx, arg),
        EVIOCSKEYCODE_V2 => keymap_entry(ctx, arg),
        EVIOCRMFF => ctx.int_value(arg),
        EVIOCGRAB | EVIOCREVOKE => {
            let _ = write!(ctx.out, "{arg}");
        }
        EVIOCSCLOCKID => ctx.num_ptr::<u32>(arg),
        EVIOCSFF => ff_effect(ctx, arg),
        _ if (0xc0..=0xff).contains(&nr(req)) => absinfo(ctx, req, arg),
        _ => ctx.addr(arg),
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    let arg = ctx.arg(2);
    if ctx.error {
        ctx.addr(arg);
        return;
    }
    match req {
        EVIOCGVERSION => match ctx.read::<u32>(arg) {
            Some(v) => {
                let _ = write!(ctx.out, "[{v:#x}]");
            }
            None => ctx.addr(arg),
        },
        EVIOCGEFFECTS => ctx.num_ptr::<u32>(arg),
        EVIOCGID => match ctx.read::<[u16; 4]>(arg) {
            Some([b, v, p, ver]) => {
                let _ = write!(
                    ctx.out,
                    "{{bustype={b}, vendor={v}, product={p}, version={ver}}}"
                );
            }
            None => ctx.addr(arg),
        },
        EVIOCGREP => pair_u32(ctx, arg),
        EVIOCGKEYCODE => keycode(ctx, arg),
        EVIOCGKEYCODE_V2 => keymap_entry(ctx, arg),
        _ => match nr(req) {
            0x0a => mtslots(ctx, req, arg),
            0x06..=0x08 => ctx.buf(arg, ctx.rval as u64),
            0x09 => bitset(ctx, arg, PROPS, INPUT_PROP_MAX, "PROP_???"),
            0x1a => bitset(ctx, arg, SND, SND_MAX, "SND_???"),
            0x1b => bitset(ctx, arg, SW, SW_MAX, "SW_???"),
            0x18 => bitset(ctx, arg, KEYS, KEY_MAX, "KEY_???"),
            0x19 => bitset(ctx, arg, LEDS, LED_MAX, "LED_???"),
            0x40..=0x7f => absinfo(ctx, req, arg),
            0x20..=0x3f => match nr(req) - 0x20 {
                0 => bitset(ctx, arg, EV, EV_MAX, "EV_???"),
                0x01 => bitset(ctx, arg, KEYS, KEY_MAX, "KEY_???"),
                0x02 => bitset(ctx, arg, REL, REL_MAX, "REL_???"),
                0x03 => bitset(ctx, arg, ABS, ABS_MAX, "ABS_???"),
                0x04 => bitset(ctx, arg, MSC, MSC_MAX, "MSC_???"),
                0x05 => bitset(ctx, arg, SW, SW_MAX, "SW_???"),
                0x11 => bitset(ctx, arg, LEDS, LED_MAX, "LED_???"),
                0x12 => bitset(ctx, arg, SND, SND_MAX, "SND_???"),
                0x14 => bitset(ctx, arg, REP, REP_MAX, "REP_???"),
                0x15 => bitset(ctx, arg, FF_TYPES, FF_MAX, "FF_???"),
                0x16 => ctx.int_ptr(arg),
                0x17 => bitset(ctx, arg, FF_STATUS, FF_STATUS_MAX, "FF_STATUS_???"),
                _ => ctx.addr(arg),
            },
            _ => ctx.addr(arg),
        },
    }
}

/// `[a, b]`: two `unsigned int`.
fn pair_u32(ctx: &mut Ctx<'_>, arg: u64) {
    match ctx.read::<[u32; 2]>(arg) {
        Some([a, b]) => {
            let _ = write!(ctx.out, "[{a}, {b}]");
        }
        None => ctx.addr(arg),
    }
}

/// `[scancode, keycode]`.
fn keycode(ctx: &mut Ctx<'_>, arg: u64) {
    let Some([scan, key]) = ctx.read::<[u32; 2]>(arg) else {
        ctx.addr(arg);
        return;
    };
    let _ = write!(ctx.out, "[{scan}, ");
    ctx.xval(KEYS, key.into(), "KEY_???");
    ctx.push("]");
}

/// `struct input_keymap_entry`: flags, len (`__u8`), index (`__u16`), keycode (`__u32`),
/// scancode (32 bytes).
fn keymap_entry(ctx: &mut Ctx<'_>, arg: u64) {
    let Some(b) = ctx.read::<[u8; 40]>(arg) else {
        ctx.addr(arg);
        return;
    };
    let _ = write!(ctx.out, "{{flags={}, len={}, ", b[0], b[1]);
    if !ctx.opts.verbose {
        ctx.push("...}");
        return;
    }
    let index = u16::from_ne_bytes([b[2], b[3]]);
    let key = u32::from_ne_bytes(b[4..8].try_into().expect("4 bytes"));
    let _ = write!(ctx.out, "index={index}, keycode=");
    ctx.xval(KEYS, key.into(), "KEY_???");
    ctx.push(", scancode=[");
    for (i, c) in b[8..].iter().enumerate() {
        if i > 0 {
            ctx.push(", ");
        }
        let _ = write!(ctx.out, "{c:#x}");
    }
    ctx.push("]}");
}

/// `struct input_absinfo` (six `__s32`), as much of it as the request's size says.
fn absinfo(ctx: &mut Ctx<'_>, req: u64, arg: u64) {
    const ORIG: u64 = 20;
    const WITH_RES: u64 = 24;
    let sz = size(req);
    if sz < ORIG {
        ctx.addr(arg);
        return;
    }
    let Some(b) = ctx
        .read_bytes(arg, sz.min(WITH_RES) as usize)
        .filter(|_| arg != 0)
    else {
        ctx.addr(arg);
        return;
    };
    let f = |i: usize| u32::from_ne_bytes(b[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
    let _ = write!(ctx.out, "{{value={}, minimum={}, ", f(0), f(1));
    if !ctx.opts.verbose {
        ctx.push("...}");
        return;
    }
    let _ = write!(ctx.out, "maximum={}, fuzz={}, flat={}", f(2), f(3), f(4));
    if sz > ORIG {
        if sz >= WITH_RES {
            let _ = write!(ctx.out, ", resolution={}", f(5));
        }
        if sz != WITH_RES {
            ctx.push(", ...");
        }
    }
    ctx.push("}");
}

/// `{code=ABS_MT_*, values=[...]}`: the slot values of one axis.
fn mtslots(ctx: &mut Ctx<'_>, req: u64, arg: u64) {
    let n = size(req) / 4;
    if n == 0 {
        ctx.addr(arg);
        return;
    }
    let Some(code) = ctx.read::<u32>(arg) else {
        ctx.addr(arg);
        return;
    };
    ctx.push("{code=");
    ctx.xval(MT_SLOTS, code.into(), "ABS_MT_???");
    ctx.push(", values=");
    crate::decode::numa::array(ctx, arg + 4, n - 1, 4, |c, v| c.int_value(v));
    ctx.push("}");
}

/// The bitset the kernel wrote (the return value says how many bytes): the set bits'
/// names (at most four without `-v`), the words themselves with `-X raw`/`-X verbose`.
fn bitset(ctx: &mut Ctx<'_>, arg: u64, table: text::Xlat, max: u64, dflt: &str) {
    let rval = ctx.rval as u64;
    let bits = if rval > max / 8 { max } else { rval * 8 };
    let size = bits.div_ceil(8).div_ceil(8) * 8;
    if size == 0 {
        ctx.addr(arg);
        return;
    }
    let Some(b) = ctx.read_bytes(arg, size as usize).filter(|_| arg != 0) else {
        ctx.addr(arg);
        return;
    };
    let style = ctx.opts.xlat;
    if style != XlatStyle::Raw {
        ctx.push("[");
        let set = (0..bits).filter(|&i| b[(i / 8) as usize] & (1 << (i % 8)) != 0);
        for (shown, i) in set.enumerate() {
            if shown > 0 {
                ctx.push(" ");
                if !ctx.opts.verbose && shown >= 4 {
                    ctx.push("...");
                    break;
                }
            }
            ctx.xval(table, i, dflt);
        }
        ctx.push("]");
    }
    if style == XlatStyle::Verbose {
        ctx.push(" /* ");
    }
    if style != XlatStyle::Abbrev {
        ctx.push("[");
        for (i, w) in b.chunks_exact(8).enumerate() {
            if i > 0 {
                ctx.push(", ");
            }
            ctx.hex_value(u64::from_ne_bytes(w.try_into().expect("8 bytes")));
        }
        ctx.push("]");
    }
    if style == XlatStyle::Verbose {
        ctx.push(" */");
    }
}

/// `struct ff_effect`: the force-feedback effect `EVIOCSFF` uploads.
fn ff_effect(ctx: &mut Ctx<'_>, arg: u64) {
    let Some(b) = ctx.read::<[u8; 48]>(arg) else {
        ctx.addr(arg);
        return;
    };
    let u16_at = |o: usize| u16::from_ne_bytes([b[o], b[o + 1]]);
    let i16_at = |o: usize| i16::from_ne_bytes([b[o], b[o + 1]]);
    let ty = u16_at(0);
    ctx.push("{type=");
    ctx.xval(FF_TYPES, ty.into(), "FF_???");
    let _ = write!(ctx.out, ", id={}, direction={}, ", i16_at(2), u16_at(4));
    if !ctx.opts.verbose {
        ctx.push("...}");
        return;
    }
    let _ = write!(
        ctx.out,
        "trigger={{button={}, interval={}}}, replay={{length={}, delay={}}}",
        u16_at(6),
        u16_at(8),
        u16_at(10),
        u16_at(12)
    );
    let envelope = |o: usize| {
        format!(
            "envelope={{attack_length={}, attack_level={}, fade_length={}, fade_level={:#x}}}",
            u16_at(o),
            u16_at(o + 2),
            u16_at(o + 4),
            u16_at(o + 6)
        )
    };
    match ty {
        // FF_CONSTANT
        0x52 => {
            let _ = write!(
                ctx.out,
                ", constant={{level={}, {}}}",
                i16_at(16),
                envelope(18)
            );
        }
        // FF_RAMP
        0x57 => {
            let _ = write!(
                ctx.out,
                ", ramp={{start_level={}, end_level={}, {}}}",
                i16_at(16),
                i16_at(18),
                envelope(20)
            );
        }
        // FF_PERIODIC
        0x51 => {
            let custom_len = u32::from_ne_bytes(b[36..40].try_into().expect("4 bytes"));
            let custom_data = u64::from_ne_bytes(b[40..48].try_into().expect("8 bytes"));
            let _ = write!(
                ctx.out,
                ", periodic={{waveform={}, period={}, magnitude={}, offset={}, phase={}, {}, custom_len={custom_len}, custom_data=",
                u16_at(16),
                u16_at(18),
                i16_at(20),
                i16_at(22),
                u16_at(24),
                envelope(26)
            );
            ctx.addr(custom_data);
            ctx.push("}");
        }
        // FF_RUMBLE
        0x50 => {
            let _ = write!(
                ctx.out,
                ", rumble={{strong_magnitude={}, weak_magnitude={}}}",
                u16_at(16),
                u16_at(18)
            );
        }
        _ => {}
    }
    ctx.push("}");
}
