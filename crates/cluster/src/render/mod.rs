//! Turning a design into host configuration: npTemplate macros, netplan analysis, and the output files.

pub mod diagram;
pub mod netplan;
pub mod output;
pub mod template;
