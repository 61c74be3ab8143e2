//! The classification on memory images built by hand, each case checked against what
//! memcheck's rules give.

extern crate std;
use std::vec;
use std::vec::Vec;

use super::*;

/// A memory image: words at fixed addresses.
struct Image {
    regions: Vec<(u64, Vec<u64>)>,
    vtables: (u64, u64),
}

impl Image {
    fn new() -> Image {
        Image {
            regions: Vec::new(),
            vtables: (0, 0),
        }
    }
    fn put(&mut self, at: u64, words: &[u64]) -> &mut Image {
        self.regions.push((at, words.to_vec()));
        self
    }
}

impl Memory for Image {
    fn words(&self, start: u64, end: u64) -> &[u64] {
        for (base, w) in &self.regions {
            let limit = base + 8 * w.len() as u64;
            if *base <= start && end <= limit {
                return &w[((start - base) / 8) as usize..((end - base) / 8) as usize];
            }
        }
        &[]
    }
    fn is_vtable(&self, addr: u64) -> bool {
        self.vtables.0 <= addr && addr < self.vtables.1
    }
}

/// Blocks of `size` bytes at 0x10000, 0x20000, ...; block `i`'s words are `contents[i]`
/// (zero-padded).
fn heap(img: &mut Image, sizes: &[u64], contents: &[&[u64]]) -> Vec<Block> {
    let mut blocks = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let start = 0x10000 * (i as u64 + 1);
        let mut words = vec![0u64; size.div_ceil(8) as usize];
        for (j, w) in contents.get(i).copied().unwrap_or(&[]).iter().enumerate() {
            words[j] = *w;
        }
        img.put(start, &words);
        blocks.push(Block { start, size });
    }
    blocks
}

fn at(i: u64) -> u64 {
    0x10000 * (i + 1)
}

/// Runs a scan with the roots `words` (registers) and the root region at 0x1000 holding
/// `root_mem`; returns each block's kind and the leaders' indirect bytes.
fn classify(
    img: &mut Image,
    blocks: &[Block],
    roots: &[u64],
    h: Heuristics,
) -> (Vec<Kind>, Vec<u64>, Summary) {
    img.put(0x1000, roots);
    let img = &*img;
    // Once searching the blocks, once through an address index: the same result.
    let run = |indexed: bool| {
        let mut extra = vec![Extra::default(); blocks.len()];
        // Garbage where no leader is: never read.
        let mut indirect = vec![0xdead_beef_u64; blocks.len()];
        let mut stack = vec![0u32; 2 * blocks.len()];
        let (mut bits, mut before, index);
        let mut scan = Scan::new(blocks, &mut extra, &mut indirect, &mut stack, img, h);
        if indexed && !blocks.is_empty() {
            let (lo, hi) = (blocks[0].start, blocks[blocks.len() - 1].start);
            let shift = blocks
                .iter()
                .fold(0, |acc, b| acc | (b.start ^ lo))
                .trailing_zeros()
                .min(63);
            let words = AddressIndex::words(lo, hi, shift);
            bits = vec![0u64; words];
            before = vec![0u32; words];
            let mut ix = AddressIndex::new(lo, hi, shift, &mut bits, &mut before);
            for b in blocks {
                assert!(ix.insert(b.start));
            }
            ix.seal();
            index = ix;
            scan.use_index(&index);
        }
        scan.root_range(0x1000, 0x1000 + 8 * roots.len() as u64);
        scan.finish();
        assert!(!scan.overflowed());
        let kinds: Vec<Kind> = (0..blocks.len()).map(|i| scan.kind(i)).collect();
        let ind: Vec<u64> = (0..blocks.len()).map(|i| scan.indirect(i)).collect();
        (kinds, ind, Summary::of(&scan))
    };
    let plain = run(false);
    assert_eq!(run(true), plain, "with an address index");
    plain
}

use Kind::*;

#[test]
fn a_lost_list_is_one_definite_leader_and_indirect_nodes() {
    let mut img = Image::new();
    // 0 -> 1 -> 2, nothing points to 0.
    let blocks = heap(&mut img, &[16, 16, 16], &[&[at(1)], &[at(2)], &[]]);
    let (k, ind, s) = classify(&mut img, &blocks, &[0], Heuristics::ALL);
    assert_eq!(k, [Definite, Indirect, Indirect]);
    assert_eq!(ind[0], 32);
    assert_eq!(
        s.get(Definite),
        Count {
            bytes: 16,
            blocks: 1
        }
    );
    assert_eq!(
        s.get(Indirect),
        Count {
            bytes: 32,
            blocks: 2
        }
    );
}

#[test]
fn a_later_leader_absorbs_an_earlier_one_with_its_clique() {
    let mut img = Image::new();
    // 2 -> 0 -> 1: block 0 leads first (address order), then 2 reaches it.
    let blocks = heap(&mut img, &[8, 24, 40], &[&[at(1)], &[], &[at(0)]]);
    let (k, ind, _) = classify(&mut img, &blocks, &[], Heuristics::ALL);
    assert_eq!(k, [Indirect, Indirect, Definite]);
    assert_eq!(ind[2], 32);
}

#[test]
fn a_cycle_has_one_definite_leader() {
    let mut img = Image::new();
    let blocks = heap(&mut img, &[32, 32], &[&[at(1)], &[at(0)]]);
    let (k, ind, _) = classify(&mut img, &blocks, &[], Heuristics::ALL);
    assert_eq!(k, [Definite, Indirect]);
    assert_eq!(ind, [32, 0]);
}

#[test]
fn an_interior_pointer_makes_possible_and_what_it_reaches_too() {
    let mut img = Image::new();
    let blocks = heap(&mut img, &[64, 16], &[&[at(1)], &[]]);
    let (k, _, _) = classify(&mut img, &blocks, &[at(0) + 16], Heuristics::ALL);
    assert_eq!(k, [Possible, Possible]);
}

#[test]
fn a_start_pointer_later_upgrades_a_possible_block_and_its_children() {
    let mut img = Image::new();
    // Root 1 reaches block 0 inside, root 2 its start.
    let blocks = heap(&mut img, &[64, 16], &[&[at(1)], &[]]);
    let (k, _, _) = classify(&mut img, &blocks, &[at(0) + 16, at(0)], Heuristics::ALL);
    assert_eq!(k, [Reachable, Reachable]);
}

#[test]
fn unaligned_words_are_no_pointers() {
    let mut img = Image::new();
    let blocks = heap(&mut img, &[16], &[]);
    // The root region holds the pointer at an offset of 4: words are read aligned only.
    let p = at(0);
    let (k, _, _) = classify(&mut img, &blocks, &[p << 32, p >> 32], Heuristics::ALL);
    assert_eq!(k, [Definite]);
}

#[test]
fn newarray_accepts_the_cookie_pointer_and_without_it_the_block_is_possible() {
    let mut img = Image::new();
    // new T[3] of 8-byte T with a destructor: count 3, then 24 bytes.
    let blocks = heap(&mut img, &[32], &[&[3]]);
    let (k, _, s) = classify(&mut img, &blocks, &[at(0) + 8], Heuristics::ALL);
    assert_eq!(k, [Reachable]);
    assert_eq!(
        s.get(Reachable),
        Count {
            bytes: 32,
            blocks: 1
        }
    );
    let mut img = Image::new();
    let blocks = heap(&mut img, &[32], &[&[3]]);
    let (k, _, _) = classify(&mut img, &blocks, &[at(0) + 8], Heuristics::NONE);
    assert_eq!(k, [Possible]);
}

#[test]
fn stdstring_and_length64_rules() {
    let mut img = Image::new();
    // length 5, capacity 7, refcount, 8 bytes of characters: 24 + 7 + 1 = 32.
    let blocks = heap(&mut img, &[32], &[&[5, 7, 0]]);
    let h = Heuristics(Heuristics::STDSTRING);
    assert_eq!(classify(&mut img, &blocks, &[at(0) + 24], h).0, [Reachable]);
    let mut img = Image::new();
    let blocks = heap(&mut img, &[40], &[&[32]]);
    let h = Heuristics(Heuristics::LENGTH64);
    assert_eq!(classify(&mut img, &blocks, &[at(0) + 8], h).0, [Reachable]);
}

#[test]
fn multiple_inheritance_needs_two_vtable_pointers() {
    let mut img = Image::new();
    img.vtables = (0x400000, 0x401000);
    let blocks = heap(&mut img, &[32], &[&[0x400010, 7, 0x400040]]);
    let h = Heuristics(Heuristics::MULTIPLE_INHERITANCE);
    assert_eq!(classify(&mut img, &blocks, &[at(0) + 16], h).0, [Reachable]);
    let mut img = Image::new();
    img.vtables = (0x400000, 0x401000);
    let blocks = heap(&mut img, &[32], &[&[0x400010, 7, 99]]);
    assert_eq!(classify(&mut img, &blocks, &[at(0) + 16], h).0, [Possible]);
}

#[test]
fn a_zero_sized_block_is_reached_at_its_start_only() {
    let mut img = Image::new();
    let blocks = heap(&mut img, &[0, 0], &[]);
    let (k, _, s) = classify(&mut img, &blocks, &[at(0), at(1) + 1], Heuristics::ALL);
    assert_eq!(k, [Reachable, Definite]);
    assert_eq!(
        s.get(Definite),
        Count {
            bytes: 0,
            blocks: 1
        }
    );
}

#[test]
fn a_root_range_leaves_the_blocks_inside_it_out() {
    let mut img = Image::new();
    // Block 0 (at 0x10000) points to block 1; a root range over all of the heap must not
    // count that word as a root.
    let blocks = heap(&mut img, &[16, 16], &[&[at(1)], &[]]);
    img.regions.clear();
    let mut words = vec![0u64; (0x30000 - 0x10000) / 8];
    words[0] = at(1);
    img.put(0x10000, &words);
    let mut extra = vec![Extra::default(); 2];
    let mut indirect = vec![0u64; 2];
    let mut stack = vec![0u32; 4];
    let mut scan = Scan::new(
        &blocks,
        &mut extra,
        &mut indirect,
        &mut stack,
        &img,
        Heuristics::ALL,
    );
    scan.root_range(0x10000, 0x30000);
    scan.finish();
    assert_eq!([scan.kind(0), scan.kind(1)], [Definite, Indirect]);
}

#[test]
fn block_of_finds_interior_and_misses_between_blocks() {
    let img = Image::new();
    let blocks = [
        Block {
            start: 0x100,
            size: 16,
        },
        Block {
            start: 0x200,
            size: 8,
        },
    ];
    let mut extra = [Extra::default(); 2];
    let mut indirect = [0u64; 2];
    let mut stack = [0u32; 4];
    let scan = Scan::new(
        &blocks,
        &mut extra,
        &mut indirect,
        &mut stack,
        &img,
        Heuristics::NONE,
    );
    assert_eq!(scan.block_of(0x100), Some(0));
    assert_eq!(scan.block_of(0x10f), Some(0));
    assert_eq!(scan.block_of(0x110), None);
    assert_eq!(scan.block_of(0x207), Some(1));
    assert_eq!(scan.block_of(0x208), None);
    assert_eq!(scan.block_of(0xff), None);
}

/// glibc's next-chunk header sits in the last word of a block of 16k + 8 bytes, and pointers
/// to it are left out; an 8-byte block's last word is its start, which a program's pointer
/// to the block must still reach (a regression: such blocks held by a global were lost).
#[test]
fn a_pointer_to_an_eight_byte_block_is_no_chunk_header() {
    let mut img = Image::new();
    let blocks = heap(&mut img, &[8, 24], &[]);
    img.put(0x1000, &[at(0), at(1) + 16]);
    let mut extra = vec![Extra::default(); 2];
    let mut indirect = vec![0u64; 2];
    let mut stack = vec![0u32; 4];
    let mut scan = Scan::new(
        &blocks,
        &mut extra,
        &mut indirect,
        &mut stack,
        &img,
        Heuristics::ALL,
    );
    scan.skip_chunk_headers(true);
    scan.root_range(0x1000, 0x1010);
    scan.finish();
    assert_eq!([scan.kind(0), scan.kind(1)], [Reachable, Definite]);
}

/// The next chunk's header lies inside every block of 16k + 1 to 16k + 8 bytes (k >= 1), at
/// the size rounded down to 16: pointers there are left out (a regression: a block of 20
/// bytes whose neighbour's header a stale bin pointer named was "possibly lost"), pointers
/// one word off, or into blocks of other sizes, are interior pointers as before.
#[test]
fn the_next_chunks_header_inside_a_block_is_no_pointer() {
    let sizes = [20, 24, 17, 40, 48, 41, 16, 25];
    let mut img = Image::new();
    let blocks = heap(&mut img, &sizes, &[]);
    let roots = [
        at(0) + 16, // 20 -> chunk 32: header at 16, inside
        at(1) + 16, // 24 -> chunk 32: header at 16, inside
        at(2) + 16, // 17 -> chunk 32: header at 16, inside
        at(3) + 32, // 40 -> chunk 48: header at 32, inside
        at(4) + 40, // 48 -> chunk 64: header at 48, outside: an interior pointer
        at(5) + 40, // 41 -> chunk 64: header at 48, outside: an interior pointer
        at(6) + 8,  // 16 -> chunk 32: header at 16, outside: an interior pointer
        at(7) + 24, // 25 -> chunk 48: header at 32, outside: an interior pointer
    ];
    img.put(0x1000, &roots);
    let mut extra = vec![Extra::default(); sizes.len()];
    let mut indirect = vec![0u64; sizes.len()];
    let mut stack = vec![0u32; 2 * sizes.len()];
    let mut scan = Scan::new(
        &blocks,
        &mut extra,
        &mut indirect,
        &mut stack,
        &img,
        Heuristics::NONE,
    );
    scan.skip_chunk_headers(true);
    scan.root_range(0x1000, 0x1000 + 8 * roots.len() as u64);
    scan.finish();
    let kinds: Vec<_> = (0..sizes.len()).map(|i| scan.kind(i)).collect();
    assert_eq!(
        kinds,
        [Definite, Definite, Definite, Definite, Possible, Possible, Possible, Possible]
    );
}

/// The interpolation search finds what a plain binary search finds, on even heaps and on
/// uneven ones (clusters far apart, zero-sized blocks, one block), for pointers before,
/// inside, between and after the blocks.
#[test]
fn block_of_agrees_with_a_binary_search_on_uneven_heaps() {
    let img = Image::new();
    let mut x = tracekit_log::fixtures::XorShift::new(0x2545_f491_4f6c_dd1d);
    let mut rand = move || x.next();
    for case in 0..200 {
        let n = 1 + (rand() % 300) as usize;
        let mut blocks = Vec::new();
        let mut at = 0x1000 + (rand() % 4096) * 16;
        for _ in 0..n {
            // Mostly neighbours, sometimes a far jump (another arena or a mapped chunk).
            at += match rand() % 10 {
                0 => (rand() % (1 << 36)) & !15,
                1 => 0,
                _ => 16 * (1 + rand() % 8),
            };
            let size = match case % 3 {
                0 => 32,
                1 => rand() % 200,
                _ => (rand() % 4) * 8,
            };
            blocks.push(Block { start: at, size });
            at += size;
        }
        blocks.dedup_by_key(|b| b.start);
        let mut extra = vec![Extra::default(); blocks.len()];
        let mut indirect = vec![0u64; blocks.len()];
        let mut stack = vec![0u32; 2 * blocks.len() + 16];
        let scan = Scan::new(
            &blocks,
            &mut extra,
            &mut indirect,
            &mut stack,
            &img,
            Heuristics::NONE,
        );
        // The same blocks through an address index, when it stays small (no far jump).
        let (lo, hi) = (blocks[0].start, blocks[blocks.len() - 1].start);
        let shift = blocks
            .iter()
            .fold(0, |acc, b| acc | (b.start ^ lo))
            .trailing_zeros()
            .min(63);
        let words = AddressIndex::words(lo, hi, shift);
        let (mut bits, mut before) = (
            vec![0u64; words.min(1 << 16)],
            vec![0u32; words.min(1 << 16)],
        );
        let (mut extra2, mut indirect2) = (
            vec![Extra::default(); blocks.len()],
            vec![0u64; blocks.len()],
        );
        let mut stack2 = vec![0u32; 2 * blocks.len() + 16];
        let index;
        let mut indexed = None;
        if words <= 1 << 16 {
            let mut ix = AddressIndex::new(lo, hi, shift, &mut bits, &mut before);
            for b in &blocks {
                assert!(ix.insert(b.start));
            }
            ix.seal();
            index = ix;
            let mut s = Scan::new(
                &blocks,
                &mut extra2,
                &mut indirect2,
                &mut stack2,
                &img,
                Heuristics::NONE,
            );
            s.use_index(&index);
            indexed = Some(s);
        }
        let naive = |ptr: u64| -> Option<usize> {
            let i = blocks.partition_point(|b| b.start <= ptr).checked_sub(1)?;
            let b = blocks[i];
            (ptr < b.start + b.size || (b.size == 0 && ptr == b.start)).then_some(i)
        };
        let last = blocks.last().unwrap();
        for _ in 0..500 {
            let ptr = match rand() % 3 {
                0 => blocks[(rand() as usize) % blocks.len()].start + rand() % 48,
                1 => blocks[0].start.saturating_sub(64) + rand() % 128,
                _ => blocks[0].start + rand() % (last.start + last.size + 64 - blocks[0].start),
            };
            assert_eq!(scan.block_of(ptr), naive(ptr), "case {case}, ptr {ptr:#x}");
            if let Some(ix) = &indexed {
                assert_eq!(
                    ix.block_of(ptr),
                    naive(ptr),
                    "indexed: case {case}, ptr {ptr:#x}"
                );
            }
        }
    }
}

/// An [`AddressIndex`] ranks starts given in any order into address order.
#[test]
fn an_address_index_ranks_starts_into_address_order() {
    let mut x = tracekit_log::fixtures::XorShift::new(0x9e37_79b9_7f4a_7c15);
    let mut rand = move || x.next();
    for case in 0..50 {
        let shift = [0, 3, 4, 5][case % 4];
        let n = 1 + (rand() % 2000) as usize;
        let mut starts: Vec<u64> = (0..n)
            .map(|_| 0x5555_0000_0000 + ((rand() % (8 * n as u64)) << shift))
            .collect();
        starts.sort_unstable();
        starts.dedup();
        let mut shuffled = starts.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, (rand() % (i as u64 + 1)) as usize);
        }
        let (lo, hi) = (starts[0], *starts.last().unwrap());
        let words = AddressIndex::words(lo, hi, shift);
        let (mut bits, mut before) = (vec![!0u64; words], vec![0u32; words]);
        let mut ix = AddressIndex::new(lo, hi, shift, &mut bits, &mut before);
        for &s in &shuffled {
            assert!(ix.insert(s));
        }
        assert!(!ix.insert(lo.wrapping_sub(1 << shift)));
        assert!(!ix.insert(hi + (64 << shift)));
        ix.seal();
        assert_eq!(ix.len(), starts.len());
        for &s in &shuffled {
            assert_eq!(ix.rank(s), starts.binary_search(&s).ok(), "case {case}");
        }
    }
}

/// Clusters far apart (a main arena, a thread's arena, a chunk mapped on its own, as the
/// `array` workload of bench/leak.sh has) are cut into segments, and every block and gap is
/// still found right, with more clusters than segments too.
#[test]
fn block_of_agrees_with_a_binary_search_across_many_far_clusters() {
    let img = Image::new();
    for clusters in [1u64, 2, 3, 31, 32, 33, 100] {
        let mut blocks = Vec::new();
        for c in 0..clusters {
            let base = 0x5555_0000_0000 + c * (0x10_0000 + c * 0x1_0000_0000);
            for i in 0..50u64 {
                blocks.push(Block {
                    start: base + i * 48,
                    size: 32,
                });
            }
        }
        blocks.push(Block {
            start: 0x7fff_0000_0000,
            size: 8 << 20,
        });
        let mut extra = vec![Extra::default(); blocks.len()];
        let mut indirect = vec![0u64; blocks.len()];
        let mut stack = vec![0u32; 2 * blocks.len() + 16];
        let scan = Scan::new(
            &blocks,
            &mut extra,
            &mut indirect,
            &mut stack,
            &img,
            Heuristics::NONE,
        );
        for (i, b) in blocks.iter().enumerate() {
            for off in [0, 8, b.size - 1] {
                assert_eq!(
                    scan.block_of(b.start + off),
                    Some(i),
                    "{clusters}: {i} +{off}"
                );
            }
            assert_eq!(
                scan.block_of(b.start + b.size),
                None,
                "{clusters}: after {i}"
            );
            assert_eq!(scan.block_of(b.start - 1), None, "{clusters}: before {i}");
        }
    }
}

/// Cliques of random graphs of lost blocks against memcheck's procedure as written in
/// `lc_process_markstack` (a former leader's blocks scanned again when it is absorbed, which
/// the scan skips): the same kinds and the same indirect bytes.
#[test]
fn cliques_of_random_graphs_are_memchecks() {
    let mut x = tracekit_log::fixtures::XorShift::new(0x9e37_79b9_7f4a_7c15);
    let mut rand = move |m: u64| x.next() % m;
    for case in 0..500 {
        let n = 1 + rand(40) as usize;
        let edges: Vec<Vec<usize>> = (0..n)
            .map(|_| (0..rand(4)).map(|_| rand(n as u64) as usize).collect())
            .collect();
        let sizes: Vec<u64> = edges
            .iter()
            .map(|e| 8 * (e.len() as u64).max(1) + rand(3) * 8)
            .collect();
        let contents: Vec<Vec<u64>> = edges
            .iter()
            .map(|e| e.iter().map(|&c| at(c as u64)).collect())
            .collect();
        let refs: Vec<&[u64]> = contents.iter().map(|c| c.as_slice()).collect();
        let mut img = Image::new();
        let blocks = heap(&mut img, &sizes, &refs);
        let (k, ind, _) = classify(&mut img, &blocks, &[], Heuristics::ALL);
        // The reference.
        let mut indirect = vec![false; n];
        let mut bytes = vec![0u64; n];
        for l in 0..n {
            if indirect[l] {
                continue;
            }
            bytes[l] = 0;
            let mut stack = vec![l];
            while let Some(b) = stack.pop() {
                for &c in &edges[b] {
                    if !indirect[c] && c != l {
                        stack.push(c);
                        let former = if c < l { bytes[c] } else { 0 };
                        indirect[c] = true;
                        bytes[l] += sizes[c] + former;
                    }
                }
            }
        }
        for i in 0..n {
            let want = if indirect[i] { Indirect } else { Definite };
            assert_eq!(k[i], want, "case {case}, block {i}");
            if want == Definite {
                assert_eq!(ind[i], bytes[i], "case {case}, block {i}");
            }
        }
    }
}

/// Random graphs of which roots reach a part (start pointers only): the blocks reached are
/// reachable, and the others form memcheck's cliques among themselves, with the same kinds and
/// indirect bytes as the procedure written out here. The scan counts the blocks still
/// unreached and stops looking for leaders when none is left: a count off by one would leave
/// a block out of the cliques (or walk for nothing).
#[test]
fn roots_then_cliques_of_random_graphs() {
    let mut x = tracekit_log::fixtures::XorShift::new(0x2545_f491_4f6c_dd1d);
    let mut rand = move |m: u64| x.next() % m;
    for case in 0..500 {
        let n = 1 + rand(40) as usize;
        let edges: Vec<Vec<usize>> = (0..n)
            .map(|_| (0..rand(4)).map(|_| rand(n as u64) as usize).collect())
            .collect();
        let roots: Vec<usize> = (0..rand(4)).map(|_| rand(n as u64) as usize).collect();
        let sizes: Vec<u64> = edges
            .iter()
            .map(|e| 8 * (e.len() as u64).max(1) + rand(3) * 8)
            .collect();
        let contents: Vec<Vec<u64>> = edges
            .iter()
            .map(|e| e.iter().map(|&c| at(c as u64)).collect())
            .collect();
        let refs: Vec<&[u64]> = contents.iter().map(|c| c.as_slice()).collect();
        let mut img = Image::new();
        let blocks = heap(&mut img, &sizes, &refs);
        let root_words: Vec<u64> = roots.iter().map(|&r| at(r as u64)).collect();
        let (k, ind, _) = classify(&mut img, &blocks, &root_words, Heuristics::ALL);
        // The reference: what the roots reach, then cliques of the rest in address order.
        let mut reached = vec![false; n];
        let mut stack: Vec<usize> = roots.clone();
        while let Some(b) = stack.pop() {
            if !reached[b] {
                reached[b] = true;
                stack.extend(edges[b].iter().copied());
            }
        }
        let mut indirect = vec![false; n];
        let mut bytes = vec![0u64; n];
        for l in 0..n {
            if reached[l] || indirect[l] {
                continue;
            }
            let mut stack = vec![l];
            while let Some(b) = stack.pop() {
                for &c in &edges[b] {
                    if !reached[c] && !indirect[c] && c != l {
                        stack.push(c);
                        let former = if c < l { bytes[c] } else { 0 };
                        indirect[c] = true;
                        bytes[l] += sizes[c] + former;
                    }
                }
            }
        }
        for i in 0..n {
            let want = if reached[i] {
                Reachable
            } else if indirect[i] {
                Indirect
            } else {
                Definite
            };
            assert_eq!(k[i], want, "case {case}, block {i}");
            if want == Definite {
                assert_eq!(ind[i], bytes[i], "case {case}, block {i}");
            }
        }
    }
}
