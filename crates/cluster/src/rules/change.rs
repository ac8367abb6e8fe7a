//! NB-10: a host whose netplan would change needs the operator's approval (`netconfigUpdateAllow`)
//! before it is applied, because applying drains the node.

use crate::design::Design;
use crate::finding::Finding;

pub fn check(design: &Design, findings: &mut Vec<Finding>) {
    for host in design.rendered_hosts() {
        let Some(r) = &host.rendered else { continue };
        let Some(before) = design.previous.netplan_sha256.get(&host.host.name) else {
            continue;
        };
        if *before != r.sha256 && !host.host.update_allowed {
            findings.push(
                Finding::warning(
                    "NB-10",
                    host.host.id(),
                    host.host.loc.clone(),
                    "the rendered netplan differs from the one in the allocation state; applying it drains the node",
                )
                .hint("review the diff, then set spec.netconfigUpdateAllow: true on the IpamHost"),
            );
        }
    }
}
