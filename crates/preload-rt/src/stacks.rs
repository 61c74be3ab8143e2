//! Interning call stacks: each distinct stack gets an id the first time it is seen, so the
//! log stores it once (as a `Stack` record) and events refer to it by id.
//!
//! The frames are kept as a trace tree (heaptrack's): one node per distinct (return address,
//! caller's node), from the outermost frame in, so the outer frames that deep stacks share
//! are stored once (a Python run's 17k stacks of mean depth 72 have 75k nodes for their 1.25M
//! frames). A stack is its innermost node plus its length; the chain of parents from that
//! node holds exactly its frames, in order, so a lookup compares them one by one (exact by
//! construction, no fingerprint). The stack table hashes whole stacks to entries; a second,
//! chained hash table over (address, parent) finds a node when a new stack is added.
//!
//! Everything lives in lazily-committed anonymous maps, not on the heap. Both hash tables
//! start small and double (the stack table when three quarters full, up to [`MAX_SLOTS`]; the
//! node buckets when there are as many nodes as buckets); a full table answers 0 ("no
//! stack"). What a distinct stack costs: 16 bytes a slot of the stack table (at most two
//! slots a stack after a doubling), plus 16 bytes a node and 4 to 8 bytes of buckets for each
//! frame whose suffix (that frame and all its callers) no earlier stack had.

use crate::sys;

/// A stack: its innermost node and its number of frames.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct Entry {
    /// The low half of the stack's hash (it picks the slot; compared before the frames).
    hash: u32,
    /// The stack's id (ids stay below `MAX_SLOTS`: the table never holds more stacks).
    id: u32,
    node: u32,
    len: u32,
}

/// One frame of the trace tree: a return address and the node of its caller (0 for the
/// outermost frame); `next` chains the nodes of one bucket.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct Node {
    ip: u64,
    parent: u32,
    next: u32,
}

/// The table's first size.
const FIRST_SLOTS: usize = 1 << 10;
/// The table's largest size.
pub const MAX_SLOTS: usize = 1 << 21;
const _: () = assert!(MAX_SLOTS <= u32::MAX as usize);
/// Nodes the node map has room for (index 0 stays unused: "no node").
const MAX_NODES: usize = 1 << 25;
/// The node buckets' first size.
const FIRST_BUCKETS: usize = 1 << 12;
/// The longest stack [`StackTable::intern`] takes (the unwinders stop at 128 frames);
/// [`StackTable::for_each`] rebuilds stacks in a buffer of this size.
pub const MAX_LEN: usize = 256;

/// The interning table. `const`-constructible; maps its memory on first use.
#[derive(Debug)]
pub struct StackTable {
    slots: *mut Entry,
    /// Slots of the table (a power of two), 0 before it is mapped.
    nslots: usize,
    nodes: *mut Node,
    /// Nodes used, counting the unused node 0 (1 once mapped).
    nnodes: usize,
    buckets: *mut u32,
    /// Node buckets (a power of two).
    nbuckets: usize,
    count: usize,
    next_id: u64,
}

// SAFETY: the table owns its maps; users serialize access (it lives behind a lock).
unsafe impl Send for StackTable {}

/// What [`StackTable::intern`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interned {
    /// Seen before, with this id.
    Known(u64),
    /// New: write its `Stack` record before using the id.
    New(u64),
    /// No stack (empty, longer than [`MAX_LEN`], or the table is full).
    None,
}

impl Interned {
    /// The id to put in an event (0 for none).
    pub fn id(self) -> u64 {
        match self {
            Interned::Known(id) | Interned::New(id) => id,
            Interned::None => 0,
        }
    }
}

impl Default for StackTable {
    fn default() -> Self {
        Self::new()
    }
}

impl StackTable {
    /// An empty table with nothing mapped yet.
    pub const fn new() -> Self {
        StackTable {
            slots: std::ptr::null_mut(),
            nslots: 0,
            nodes: std::ptr::null_mut(),
            nnodes: 0,
            buckets: std::ptr::null_mut(),
            nbuckets: 0,
            count: 0,
            next_id: 1,
        }
    }

    fn ensure_mapped(&mut self) -> bool {
        if self.slots.is_null() {
            let slots_len = FIRST_SLOTS * std::mem::size_of::<Entry>();
            let Ok(s) = sys::map_anon(slots_len) else {
                return false;
            };
            let Ok(n) = sys::map_anon(MAX_NODES * std::mem::size_of::<Node>()) else {
                // SAFETY: s was just mapped and is unused.
                unsafe { sys::unmap(s, slots_len) };
                return false;
            };
            let Ok(b) = sys::map_anon(FIRST_BUCKETS * 4) else {
                // SAFETY: s was just mapped and is unused.
                unsafe { sys::unmap(s, slots_len) };
                // SAFETY: n was just mapped and is unused.
                unsafe { sys::unmap(n, MAX_NODES * std::mem::size_of::<Node>()) };
                return false;
            };
            self.slots = s.cast();
            self.nslots = FIRST_SLOTS;
            self.nodes = n.cast();
            self.nnodes = 1;
            self.buckets = b.cast();
            self.nbuckets = FIRST_BUCKETS;
        }
        true
    }

    /// Doubles the table (entries moved to their slots in the new one); false when it cannot.
    #[cold]
    fn grow(&mut self) -> bool {
        let n = self.nslots * 2;
        if n > MAX_SLOTS {
            return false;
        }
        let Ok(fresh) = sys::map_anon(n * std::mem::size_of::<Entry>()) else {
            return false;
        };
        let fresh = fresh.cast::<Entry>();
        for i in 0..self.nslots {
            // SAFETY: i < nslots: inside the old table.
            let old = unsafe { self.slots.add(i) };
            // SAFETY: an aligned `Entry` of the old table (zeroed pages are empty entries).
            let e = unsafe { *old };
            if e.id == 0 {
                continue;
            }
            let mut j = (e.hash as usize) & (n - 1);
            loop {
                // SAFETY: j < n (masked): inside the fresh map.
                let at = unsafe { fresh.add(j) };
                // SAFETY: an aligned `Entry` of the fresh map, ours alone, not yet published.
                let slot = unsafe { &mut *at };
                if slot.id == 0 {
                    *slot = e;
                    break;
                }
                j = (j + 1) & (n - 1);
            }
        }
        // SAFETY: the old table, mapped with `nslots` entries; nothing refers to it now.
        unsafe {
            sys::unmap(
                self.slots.cast(),
                self.nslots * std::mem::size_of::<Entry>(),
            )
        };
        self.slots = fresh;
        self.nslots = n;
        true
    }

    /// Number of distinct stacks.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when no stack was interned.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Nodes of the trace tree (frames stored).
    pub fn nodes(&self) -> usize {
        self.nnodes.saturating_sub(1)
    }

    /// The id of `frames`, adding it when new.
    pub fn intern(&mut self, frames: &[u64]) -> Interned {
        if frames.is_empty() || frames.len() > MAX_LEN || !self.ensure_mapped() {
            return Interned::None;
        }
        let hash = hash(frames) as u32;
        if self.count >= self.nslots / 4 * 3 && !self.grow() {
            // Full: known stacks are still found, new ones get no id.
            return self
                .find(frames, hash)
                .map_or(Interned::None, Interned::Known);
        }
        let mask = self.nslots - 1;
        let mut i = (hash as usize) & mask;
        loop {
            // SAFETY: i < nslots (masked), so `slots + i` is inside the mapped slot array.
            let slot = unsafe { self.slots.add(i) };
            // SAFETY: an aligned `Entry` of our private mapping (zeroed pages are valid empty
            // entries); nothing else refers to it while we hold `&mut self`.
            let e = unsafe { *slot };
            if e.id == 0 {
                break;
            }
            if e.hash == hash && e.len as usize == frames.len() && self.holds(e.node, frames) {
                return Interned::Known(u64::from(e.id));
            }
            i = (i + 1) & mask;
        }
        // New: its nodes, from the outermost frame in (the shared outer ones exist already).
        let mut node = 0u32;
        for &ip in frames.iter().rev() {
            match self.node(ip, node) {
                Some(n) => node = n,
                None => return Interned::None,
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        self.count += 1;
        // SAFETY: i < nslots, the free slot found above, inside the mapped slot array.
        let slot = unsafe { self.slots.add(i) };
        // SAFETY: an aligned `Entry` of our private mapping; no reference to it is live.
        unsafe {
            *slot = Entry {
                hash,
                id: id as u32,
                node,
                len: frames.len() as u32,
            }
        };
        Interned::New(id)
    }

    /// The node at index `n`.
    #[inline(always)]
    fn node_at(&self, n: u32) -> Node {
        debug_assert!((n as usize) < self.nnodes);
        // SAFETY: every index stored in an entry, a node's `parent` or `next`, or a bucket is
        // below `nnodes` (nodes are only added, at `nnodes`, and refer to older ones), so
        // `nodes + n` is inside the node map.
        let p = unsafe { self.nodes.add(n as usize) };
        // SAFETY: an aligned `Node` of our private map (node 0 and unused ones are zeroes).
        unsafe { *p }
    }

    /// True when the chain from node `n` holds exactly `frames` (whose length is the stack's).
    #[inline(always)]
    fn holds(&self, mut n: u32, frames: &[u64]) -> bool {
        for &ip in frames {
            let node = self.node_at(n);
            if node.ip != ip {
                return false;
            }
            n = node.parent;
        }
        true
    }

    /// The node of `ip` called from node `parent`, added when new; `None` when the node map is
    /// full.
    fn node(&mut self, ip: u64, parent: u32) -> Option<u32> {
        let b = (node_hash(ip, parent) as usize) & (self.nbuckets - 1);
        // SAFETY: b < nbuckets (masked): inside the bucket map.
        let head = unsafe { self.buckets.add(b) };
        // SAFETY: an aligned u32 of our private bucket map (zero: an empty chain).
        let mut n = unsafe { *head };
        while n != 0 {
            let node = self.node_at(n);
            if node.ip == ip && node.parent == parent {
                return Some(n);
            }
            n = node.next;
        }
        if self.nnodes >= MAX_NODES {
            return None;
        }
        let fresh = self.nnodes as u32;
        // SAFETY: nnodes < MAX_NODES: inside the node map.
        let at = unsafe { self.nodes.add(self.nnodes) };
        // SAFETY: `head` is an aligned u32 of our private bucket map.
        let next = unsafe { *head };
        // SAFETY: an aligned, unused `Node` of our private map, referred to nowhere else.
        unsafe { *at = Node { ip, parent, next } };
        // SAFETY: as above: `head` is inside the bucket map.
        unsafe { *head = fresh };
        self.nnodes += 1;
        if self.nnodes > self.nbuckets {
            // Longer chains if the buckets cannot grow: still right, only slower.
            self.grow_buckets();
        }
        Some(fresh)
    }

    /// Doubles the node buckets, chaining every node again.
    #[cold]
    fn grow_buckets(&mut self) {
        let n = self.nbuckets * 2;
        let Ok(fresh) = sys::map_anon(n * 4) else {
            return;
        };
        let fresh = fresh.cast::<u32>();
        for i in 1..self.nnodes {
            // SAFETY: i < nnodes: a used node inside the node map.
            let at = unsafe { self.nodes.add(i) };
            // SAFETY: an aligned `Node` of our private map; no other reference to it.
            let node = unsafe { &mut *at };
            let b = (node_hash(node.ip, node.parent) as usize) & (n - 1);
            // SAFETY: b < n (masked): inside the fresh bucket map, ours alone.
            let head = unsafe { fresh.add(b) };
            // SAFETY: an aligned u32 of the fresh map.
            node.next = unsafe { *head };
            // SAFETY: as above.
            unsafe { *head = i as u32 };
        }
        // SAFETY: the old buckets, mapped with `nbuckets` words; nothing refers to them now.
        unsafe { sys::unmap(self.buckets.cast(), self.nbuckets * 4) };
        self.buckets = fresh;
        self.nbuckets = n;
    }

    /// The id of `frames` (whose hash is `hash`) when the full table has it.
    fn find(&self, frames: &[u64], hash: u32) -> Option<u64> {
        let mask = self.nslots - 1;
        let mut i = (hash as usize) & mask;
        for _ in 0..self.nslots {
            // SAFETY: i < nslots (masked): inside the mapped slot array.
            let slot = unsafe { self.slots.add(i) };
            // SAFETY: an aligned `Entry` of our private mapping (zeroed pages are empty).
            let e = unsafe { *slot };
            if e.id == 0 {
                return None;
            }
            if e.hash == hash && e.len as usize == frames.len() && self.holds(e.node, frames) {
                return Some(u64::from(e.id));
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Calls `f` with the id and frames of every stack, in no particular order.
    pub fn for_each(&self, mut f: impl FnMut(u64, &[u64])) {
        let mut buf = [0u64; MAX_LEN];
        for i in 0..self.nslots {
            // SAFETY: i < nslots: inside the mapped slot array (none when nslots is 0).
            let slot = unsafe { self.slots.add(i) };
            // SAFETY: an aligned `Entry` of our private mapping (zeroed pages are empty).
            let e = unsafe { *slot };
            if e.id == 0 {
                continue;
            }
            let len = e.len as usize;
            let mut n = e.node;
            for b in buf.iter_mut().take(len) {
                let node = self.node_at(n);
                *b = node.ip;
                n = node.parent;
            }
            f(u64::from(e.id), &buf[..len]);
        }
    }

    /// Forgets every stack (a forked child starts its own log); ids restart at 1.
    pub fn clear(&mut self) {
        if !self.slots.is_null() {
            // SAFETY: the slot array is a private anonymous map of ours of this size (mapped
            // in `ensure_mapped`, or by `grow`); zeroed pages are empty slots.
            unsafe {
                sys::discard(
                    self.slots.cast(),
                    self.nslots * std::mem::size_of::<Entry>(),
                )
            };
            // SAFETY: the bucket array is a private anonymous map of ours of this size; zeroed
            // pages are empty chains.
            unsafe { sys::discard(self.buckets.cast(), self.nbuckets * 4) };
            // SAFETY: the node map is a private anonymous map of ours of this size; with every
            // slot and bucket empty, nothing refers to a node any more.
            unsafe { sys::discard(self.nodes.cast(), MAX_NODES * std::mem::size_of::<Node>()) };
            self.nnodes = 1;
        }
        self.count = 0;
        self.next_id = 1;
    }
}

/// The bucket hash of a node: its address and its caller's node.
#[inline(always)]
fn node_hash(ip: u64, parent: u32) -> u64 {
    let h =
        (ip ^ (u64::from(parent) << 40) ^ u64::from(parent)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 32)
}

#[inline(always)]
fn hash(frames: &[u64]) -> u64 {
    let mut h = frames.len() as u64;
    for &f in frames {
        h = (h.rotate_left(23) ^ f).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_each_stack_once() {
        let mut t = StackTable::new();
        assert_eq!(t.intern(&[]), Interned::None);
        assert_eq!(t.intern(&[1, 2, 3]), Interned::New(1));
        assert_eq!(t.intern(&[1, 2]), Interned::New(2));
        assert_eq!(t.intern(&[1, 2, 3]), Interned::Known(1));
        assert_eq!(t.intern(&[1, 2]), Interned::Known(2));
        // The table doubles several times on the way.
        for i in 0..10_000u64 {
            assert_eq!(t.intern(&[i, i + 1, 7]), Interned::New(i + 3));
        }
        assert!(t.nslots > FIRST_SLOTS);
        assert_eq!(t.intern(&[1, 2, 3]), Interned::Known(1));
        for i in (0..10_000u64).step_by(7) {
            assert_eq!(t.intern(&[i, i + 1, 7]), Interned::Known(i + 3));
        }
        t.clear();
        assert!(t.is_empty());
        assert_eq!(t.nodes(), 0);
        assert_eq!(t.intern(&[9]), Interned::New(1));
    }

    #[test]
    fn shared_outer_frames_are_stored_once() {
        let mut t = StackTable::new();
        let outer: Vec<u64> = (100..170).collect();
        let mut a = vec![1, 2];
        a.extend(&outer);
        let mut b = vec![3];
        b.extend(&outer);
        assert_eq!(t.intern(&a), Interned::New(1));
        assert_eq!(t.nodes(), 72);
        // Only its innermost frame is new.
        assert_eq!(t.intern(&b), Interned::New(2));
        assert_eq!(t.nodes(), 73);
        // A suffix of a stored stack is a stack of its own, with no new node.
        assert_eq!(t.intern(&outer), Interned::New(3));
        assert_eq!(t.nodes(), 73);
        assert_eq!(t.intern(&a), Interned::Known(1));
        assert_eq!(t.intern(&b), Interned::Known(2));
        assert_eq!(t.intern(&outer[1..]), Interned::New(4));
        // Same frames, another caller: not the same stack.
        let mut c = a.clone();
        *c.last_mut().unwrap() = 999;
        assert_eq!(t.intern(&c), Interned::New(5));
    }

    #[test]
    fn too_long_stacks_get_no_id() {
        let mut t = StackTable::new();
        let long: Vec<u64> = (1..=MAX_LEN as u64 + 1).collect();
        assert_eq!(t.intern(&long), Interned::None);
        assert_eq!(t.intern(&long[..MAX_LEN]), Interned::New(1));
        assert_eq!(t.intern(&long[..MAX_LEN]), Interned::Known(1));
    }

    /// Against a `HashMap`: many stacks over few addresses (so they share and collide),
    /// through several doublings of both tables; `for_each` gives back every stack exactly.
    #[test]
    fn agrees_with_a_map_and_gives_stacks_back() {
        use std::collections::HashMap;
        let mut t = StackTable::new();
        let mut model: HashMap<Vec<u64>, u64> = HashMap::new();
        let mut x = tracekit_log::fixtures::XorShift::new(0x2545_F491_4F6C_DD1D);
        let mut rnd = move || x.next();
        for _ in 0..60_000 {
            let len = 1 + (rnd() % 40) as usize;
            let base = rnd() % 3;
            let stack: Vec<u64> = (0..len)
                .map(|k| {
                    if k + 3 < len {
                        rnd() % 6
                    } else {
                        base * 10 + k as u64
                    }
                })
                .collect();
            let next = model.len() as u64 + 1;
            match model.get(&stack) {
                Some(&id) => assert_eq!(t.intern(&stack), Interned::Known(id)),
                None => {
                    assert_eq!(t.intern(&stack), Interned::New(next));
                    model.insert(stack, next);
                }
            }
        }
        assert_eq!(t.len(), model.len());
        assert!(t.nbuckets > FIRST_BUCKETS && t.nslots > FIRST_SLOTS);
        let mut seen = 0;
        t.for_each(|id, frames| {
            assert_eq!(model.get(frames), Some(&id));
            seen += 1;
        });
        assert_eq!(seen, model.len());
    }
}
