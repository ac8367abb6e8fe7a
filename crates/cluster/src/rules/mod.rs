//! The rules of mosk-model §2 run over a built design. Each module holds the rules of one network concern.

mod change;
mod external;
mod isolation;
mod lcm;
mod nodes;
mod routing;
mod storage;

use crate::design::Design;
use crate::finding::Finding;

pub fn run(design: &Design, findings: &mut Vec<Finding>) {
    lcm::check(design, findings);
    routing::check(design, findings);
    external::check(design, findings);
    storage::check(design, findings);
    isolation::check(design, findings);
    nodes::check(design, findings);
    change::check(design, findings);
}
