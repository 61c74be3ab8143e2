//! The file header and chunk headers: what a writer puts around its records. Never allocates.

use crate::wire::{Enc, Full};
use crate::{CHUNK_BIT, HEADER_LEN, MAGIC, VERSION};

/// How a chunk's data is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Codec {
    /// As is.
    Stored = 0,
    /// zstd frame.
    Zstd = 1,
}

impl Codec {
    /// The codec for a chunk tag's low bits.
    pub fn from_code(c: u8) -> Option<Codec> {
        match c {
            0 => Some(Codec::Stored),
            1 => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// Writes the file header into `buf`. Never allocates.
pub fn write_header(buf: &mut [u8]) -> Result<usize, Full> {
    let mut e = Enc::new(buf);
    e.raw(&MAGIC)?;
    e.raw(&VERSION.to_le_bytes())?;
    e.raw(&0u16.to_le_bytes())?;
    debug_assert_eq!(e.len(), HEADER_LEN);
    Ok(e.len())
}

/// Writes a chunk header (`codec`, decoded length, stored length) into `buf`; the stored data
/// follows it. Never allocates.
pub fn chunk_header(
    buf: &mut [u8],
    codec: Codec,
    raw_len: usize,
    stored_len: usize,
) -> Result<usize, Full> {
    let mut e = Enc::new(buf);
    e.u8(CHUNK_BIT | codec as u8)?;
    e.u(raw_len as u64)?;
    e.u(stored_len as u64)?;
    Ok(e.len())
}
