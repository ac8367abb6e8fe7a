//! Fixed IP allocations: which port holds which address of a subnet. The primary key
//! (subnet, address) decides races; `ip_key`, the address as an integer, lets the next free
//! address be found by a gap search in SQL instead of reading every allocation.

use std::net::IpAddr;

use crate::tx::Tx;
use crate::{Constraint, StoreError};

/// Keys are the address's low 62 bits: all of an IPv4 address, and for IPv6 more than any
/// allocation pool that is searched (see [`key_range`]). Two IPv6 addresses with the same low
/// bits share a key; the gap search then skips one of them, it never hands out a taken address,
/// because the primary key is on the address itself.
const KEY_BITS: u32 = 62;
const KEY_MASK: u128 = (1 << KEY_BITS) - 1;

/// The key of an address.
pub fn address_key(ip: IpAddr) -> i64 {
    let n = match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a) & KEY_MASK,
    };
    // Masked to 62 bits, so it fits.
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The keys `[lo, hi]` of the addresses `start..=end` (one allocation pool). An IPv6 pool is
/// cut where its low 62 bits would wrap, so that the keys of the range are consecutive: the
/// search covers at least the first 2^61 addresses of any pool that starts in the lower half.
pub fn key_range(start: IpAddr, end: IpAddr) -> (i64, i64) {
    let lo = address_key(start);
    let len = to_u128(end).saturating_sub(to_u128(start));
    let room = KEY_MASK - lo.unsigned_abs() as u128;
    let hi = lo + i64::try_from(len.min(room)).unwrap_or(0);
    (lo, hi)
}

/// The address of key `key` in the pool that starts at `start` (whose key is `lo`).
pub fn address_at(start: IpAddr, lo: i64, key: i64) -> Option<IpAddr> {
    let delta = u128::try_from(key.checked_sub(lo)?).ok()?;
    let n = to_u128(start).checked_add(delta)?;
    Some(match start {
        IpAddr::V4(_) => IpAddr::V4(u32::try_from(n).ok()?.into()),
        IpAddr::V6(_) => IpAddr::V6(n.into()),
    })
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// Records that `port_id` holds `ip` on `subnet_id`. A taken address is a
/// `Conflict(IpAllocation)`, and the transaction stays usable.
pub fn insert_allocation(
    tx: &Tx,
    subnet_id: &str,
    ip: IpAddr,
    port_id: &str,
) -> Result<(), StoreError> {
    let n = tx.execute(
        "INSERT INTO ip_allocations (subnet_id, ip_address, port_id, ip_key) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT DO NOTHING",
        &[
            subnet_id.into(),
            ip.to_string().into(),
            port_id.into(),
            address_key(ip).into(),
        ],
    )?;
    match n {
        0 => Err(StoreError::Conflict(Constraint::IpAllocation)),
        _ => Ok(()),
    }
}

pub fn delete_allocation(tx: &Tx, subnet_id: &str, ip_address: &str) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM ip_allocations WHERE subnet_id = ?1 AND ip_address = ?2",
        &[subnet_id.into(), ip_address.into()],
    )?;
    Ok(())
}

/// Every allocated address of a subnet.
pub fn allocated_addresses(tx: &Tx, subnet_id: &str) -> Result<Vec<String>, StoreError> {
    tx.texts(
        "SELECT ip_address FROM ip_allocations WHERE subnet_id = ?1",
        &[subnet_id.into()],
    )
}

/// How many addresses of a subnet are allocated.
pub fn count_allocations(tx: &Tx, subnet_id: &str) -> Result<i64, StoreError> {
    tx.query_one(
        "SELECT COUNT(*) FROM ip_allocations WHERE subnet_id = ?1",
        &[subnet_id.into()],
    )?
    .int(0)
}

/// Ports with an address on the subnet.
pub fn ports_on_subnet(tx: &Tx, subnet_id: &str) -> Result<Vec<String>, StoreError> {
    tx.texts(
        "SELECT DISTINCT port_id FROM ip_allocations WHERE subnet_id = ?1",
        &[subnet_id.into()],
    )
}

/// The lowest free key of the subnet within `[from, hi]`, if any. Walks the allocated keys
/// from `from` in index order and stops at the first gap, so it costs the length of the run of
/// taken addresses at `from`, not the size of the subnet.
pub fn first_free_key(
    tx: &Tx,
    subnet_id: &str,
    from: i64,
    hi: i64,
) -> Result<Option<i64>, StoreError> {
    if from > hi {
        return Ok(None);
    }
    let taken = |k: i64| {
        tx.flag(
            "SELECT EXISTS (SELECT 1 FROM ip_allocations WHERE subnet_id = ?1 AND ip_key = ?2)",
            &[subnet_id.into(), k.into()],
        )
    };
    if !taken(from)? {
        return Ok(Some(from));
    }
    tx.query_opt(
        "SELECT a.ip_key + 1 FROM ip_allocations a \
         WHERE a.subnet_id = ?1 AND a.ip_key >= ?2 AND a.ip_key < ?3 \
         AND NOT EXISTS (SELECT 1 FROM ip_allocations b \
                         WHERE b.subnet_id = ?1 AND b.ip_key = a.ip_key + 1) \
         ORDER BY a.ip_key LIMIT 1",
        &[subnet_id.into(), from.into(), hi.into()],
    )?
    .map(|r| r.int(0))
    .transpose()
}

/// Fills `ip_key` of allocations made before the column existed.
pub(crate) fn backfill_keys(tx: &Tx) -> Result<(), StoreError> {
    let rows = tx.query(
        "SELECT subnet_id, ip_address FROM ip_allocations WHERE ip_key IS NULL",
        &[],
    )?;
    for r in rows {
        let (subnet, addr) = (r.text(0)?, r.text(1)?);
        let Ok(ip) = addr.parse::<IpAddr>() else {
            continue;
        };
        tx.execute(
            "UPDATE ip_allocations SET ip_key = ?3 WHERE subnet_id = ?1 AND ip_address = ?2",
            &[subnet.into(), addr.into(), address_key(ip).into()],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn keys_are_consecutive_within_a_pool() {
        let (lo, hi) = key_range(ip("10.0.0.2"), ip("10.0.0.254"));
        assert_eq!(hi - lo, 252);
        assert_eq!(
            address_at(ip("10.0.0.2"), lo, lo + 10),
            Some(ip("10.0.0.12"))
        );
        let (lo, hi) = key_range(ip("fd00::2"), ip("fd00::ffff:ffff:ffff:ffff"));
        assert!(hi > lo);
        assert_eq!(address_at(ip("fd00::2"), lo, lo + 1), Some(ip("fd00::3")));
        assert_eq!(address_key(ip("fd00::3")), lo + 1);
    }
}
