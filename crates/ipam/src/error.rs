//! The crate's one error type. Every variant knows the Neutron `type` name, the HTTP status and
//! (through `Display`) the exact upstream message, so the API layer can build the
//! `{"NeutronError": {"type", "message", "detail"}}` envelope without knowing IPAM.

use thiserror::Error;

/// Errors of address validation and allocation, with Neutron's messages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IpamError {
    /// `neutron_lib.exceptions.InvalidInput` (400). The payload is the bare reason; the
    /// message adds "Invalid input for operation: " and a final period.
    #[error("Invalid input for operation: {0}.")]
    InvalidInput(String),

    /// A request-body attribute failed its validator (400, type `HTTPBadRequest`).
    /// Build it with [`IpamError::invalid_attribute`]; the payload is the whole message.
    #[error("{0}")]
    HttpBadRequest(String),

    /// `neutron_lib.exceptions.BadRequest` (400): "Bad {resource} request: {msg}."
    #[error("Bad {resource} request: {msg}.")]
    BadRequest {
        /// Resource collection name, e.g. `subnets`.
        resource: String,
        /// Reason.
        msg: String,
    },

    /// The gateway lies inside an allocation pool (409).
    #[error("Gateway ip {ip_address} conflicts with allocation pool {pool}.")]
    GatewayConflictWithAllocationPools {
        /// Gateway address as given.
        ip_address: String,
        /// The pool, formatted `start-end`.
        pool: String,
    },

    /// Two allocation pools overlap (409).
    #[error("Found overlapping allocation pools: {pool_1} {pool_2} for subnet {subnet_cidr}.")]
    OverlappingAllocationPools {
        /// First pool, `start-end`.
        pool_1: String,
        /// Second pool, `start-end`.
        pool_2: String,
        /// Subnet CIDR.
        subnet_cidr: String,
    },

    /// A pool reaches outside the usable part of the CIDR (400).
    #[error("The allocation pool {pool} spans beyond the subnet cidr {subnet_cidr}.")]
    OutOfBoundsAllocationPool {
        /// The pool, `start-end`.
        pool: String,
        /// Subnet CIDR.
        subnet_cidr: String,
    },

    /// A malformed pool: wrong IP version, start after end (400).
    #[error("The allocation pool {pool} is not valid.")]
    InvalidAllocationPool {
        /// The pool as upstream prints it (`start-end` or a Python dict repr).
        pool: String,
    },

    /// More DNS nameservers than `max_dns_nameservers` (400).
    #[error(
        "Unable to complete operation for {subnet_id}. The number of DNS nameservers exceeds the limit {quota}."
    )]
    DnsNameServersExhausted {
        /// Subnet id, or `new subnet` on create.
        subnet_id: String,
        /// The configured limit.
        quota: usize,
    },

    /// More host routes than `max_subnet_host_routes` (400).
    #[error(
        "Unable to complete operation for {subnet_id}. The number of host routes exceeds the limit {quota}."
    )]
    HostRoutesExhausted {
        /// Subnet id, or `new subnet` on create.
        subnet_id: String,
        /// The configured limit.
        quota: usize,
    },

    /// An explicit address matches no subnet of the network (400).
    #[error(
        "IP address {ip_address} is not a valid IP for any of the subnets on the specified network."
    )]
    InvalidIpForNetwork {
        /// The requested address.
        ip_address: String,
    },

    /// An explicit address is not valid on the given subnet (400).
    #[error("IP address {ip_address} is not a valid IP for the specified subnet.")]
    InvalidIpForSubnet {
        /// The requested address.
        ip_address: String,
    },

    /// The requested address is already allocated (409).
    #[error("IP address {ip} already allocated in subnet {subnet_id}")]
    IpAddressAlreadyAllocated {
        /// The requested address.
        ip: String,
        /// The subnet id.
        subnet_id: String,
    },

    /// No free address in any candidate subnet (409).
    #[error("No more IP addresses available on network {net_id}.")]
    IpAddressGenerationFailure {
        /// The network id.
        net_id: String,
    },

    /// Explicit address on a SLAAC / DHCPv6-stateless subnet (400).
    #[error(
        "IPv6 address {ip} cannot be directly assigned to a port on subnet {subnet_id} as the subnet is configured for automatic addresses"
    )]
    AllocationOnAutoAddressSubnet {
        /// The requested address.
        ip: String,
        /// The subnet id.
        subnet_id: String,
    },

    /// A configured VLAN range (`physnet:min:max`) is invalid (500: a configuration error).
    #[error("Invalid network VLAN range: '{range}' - '{error}'.")]
    NetworkVlanRangeError {
        /// The range text.
        range: String,
        /// Why.
        error: String,
    },

    /// A configured tunnel id range (`min:max`) is invalid (500: a configuration error).
    #[error("Invalid network tunnel range: '{range}' - {error}.")]
    NetworkTunnelRangeError {
        /// The range text.
        range: String,
        /// Why.
        error: String,
    },
}

impl IpamError {
    /// The `HTTPBadRequest` error for an attribute whose validator returned `reason`:
    /// "Invalid input for {attr}. Reason: {reason}."
    pub fn invalid_attribute(attr: &str, reason: &str) -> Self {
        IpamError::HttpBadRequest(format!("Invalid input for {attr}. Reason: {reason}."))
    }

    /// Shorthand for [`IpamError::InvalidInput`].
    pub fn invalid_input(reason: impl Into<String>) -> Self {
        IpamError::InvalidInput(reason.into())
    }

    /// Neutron's `type` name for the envelope.
    pub fn neutron_type(&self) -> &'static str {
        match self {
            IpamError::InvalidInput(_) => "InvalidInput",
            IpamError::HttpBadRequest(_) => "HTTPBadRequest",
            IpamError::BadRequest { .. } => "BadRequest",
            IpamError::GatewayConflictWithAllocationPools { .. } => {
                "GatewayConflictWithAllocationPools"
            }
            IpamError::OverlappingAllocationPools { .. } => "OverlappingAllocationPools",
            IpamError::OutOfBoundsAllocationPool { .. } => "OutOfBoundsAllocationPool",
            IpamError::InvalidAllocationPool { .. } => "InvalidAllocationPool",
            IpamError::DnsNameServersExhausted { .. } => "DNSNameServersExhausted",
            IpamError::HostRoutesExhausted { .. } => "HostRoutesExhausted",
            IpamError::InvalidIpForNetwork { .. } => "InvalidIpForNetwork",
            IpamError::InvalidIpForSubnet { .. } => "InvalidIpForSubnet",
            IpamError::IpAddressAlreadyAllocated { .. } => "IpAddressAlreadyAllocated",
            IpamError::IpAddressGenerationFailure { .. } => "IpAddressGenerationFailure",
            IpamError::AllocationOnAutoAddressSubnet { .. } => "AllocationOnAutoAddressSubnet",
            IpamError::NetworkVlanRangeError { .. } => "NetworkVlanRangeError",
            IpamError::NetworkTunnelRangeError { .. } => "NetworkTunnelRangeError",
        }
    }

    /// The HTTP status Neutron answers with (`neutron_lib/api/faults.py`).
    pub fn status(&self) -> u16 {
        match self {
            IpamError::GatewayConflictWithAllocationPools { .. }
            | IpamError::OverlappingAllocationPools { .. }
            | IpamError::IpAddressAlreadyAllocated { .. }
            | IpamError::IpAddressGenerationFailure { .. } => 409,
            IpamError::NetworkVlanRangeError { .. } | IpamError::NetworkTunnelRangeError { .. } => {
                500
            }
            _ => 400,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_message_has_prefix_and_period() {
        let e = IpamError::invalid_input("Gateway is not valid on subnet");
        assert_eq!(
            e.to_string(),
            "Invalid input for operation: Gateway is not valid on subnet."
        );
        assert_eq!(e.neutron_type(), "InvalidInput");
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn attribute_error_is_http_bad_request() {
        let e = IpamError::invalid_attribute("cidr", "'10.0.0.1' is not a valid IP subnet");
        assert_eq!(
            e.to_string(),
            "Invalid input for cidr. Reason: '10.0.0.1' is not a valid IP subnet."
        );
        assert_eq!(e.neutron_type(), "HTTPBadRequest");
    }

    #[test]
    fn conflicts_are_409() {
        let e = IpamError::GatewayConflictWithAllocationPools {
            ip_address: "10.0.0.5".into(),
            pool: "10.0.0.2-10.0.0.9".into(),
        };
        assert_eq!(e.status(), 409);
        assert_eq!(
            e.to_string(),
            "Gateway ip 10.0.0.5 conflicts with allocation pool 10.0.0.2-10.0.0.9."
        );
        let e = IpamError::DnsNameServersExhausted {
            subnet_id: "new subnet".into(),
            quota: 5,
        };
        assert_eq!(e.neutron_type(), "DNSNameServersExhausted");
        assert_eq!(e.status(), 400);
        assert_eq!(
            e.to_string(),
            "Unable to complete operation for new subnet. The number of DNS nameservers exceeds the limit 5."
        );
    }
}
