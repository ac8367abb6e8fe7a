//! Host address management: which addresses of a Subnet may be handed out, and a deterministic, stable
//! allocator that remembers its decisions in an allocation state file.

pub mod allocator;
pub mod ranges;
pub mod state;

pub use allocator::{AllocationKey, Allocations, allocate};
pub use ranges::{AddressRanges, parse_range};
