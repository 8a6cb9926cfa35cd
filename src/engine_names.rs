//! The engine's enums by name on the command line. The engine crate has no
//! clap, so its enums cannot derive `ValueEnum`: each thin mirror here is
//! the one place their command-line names are written.

use clap::ValueEnum;

use ratecheck_engine::run::FullPolicy;
use ratecheck_engine::server;

/// `--on-full`: the engine's [`FullPolicy`] by name, both ways (the
/// suite's child runs write it too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnFull {
    Drop,
    Wait,
}

impl From<OnFull> for FullPolicy {
    fn from(o: OnFull) -> FullPolicy {
        match o {
            OnFull::Drop => FullPolicy::Drop,
            OnFull::Wait => FullPolicy::Wait,
        }
    }
}

impl From<FullPolicy> for OnFull {
    fn from(p: FullPolicy) -> OnFull {
        match p {
            FullPolicy::Drop => OnFull::Drop,
            FullPolicy::Wait => OnFull::Wait,
        }
    }
}

/// `serve --behaviour`: the engine's [`server::Behaviour`] by name (a thin
/// mirror, as [`OnFull`]: the engine crate has no clap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Behaviour {
    Normal,
    Close,
    Hang,
    Reset,
}

impl From<Behaviour> for server::Behaviour {
    fn from(b: Behaviour) -> server::Behaviour {
        match b {
            Behaviour::Normal => server::Behaviour::Normal,
            Behaviour::Close => server::Behaviour::CloseAfterResponse,
            Behaviour::Hang => server::Behaviour::Hang,
            Behaviour::Reset => server::Behaviour::Reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_has_one_name_both_ways() {
        for o in OnFull::value_variants() {
            assert_eq!(OnFull::from(FullPolicy::from(*o)), *o);
        }
        let names: Vec<_> = OnFull::value_variants()
            .iter()
            .filter_map(|o| o.to_possible_value())
            .map(|p| p.get_name().to_string())
            .collect();
        assert_eq!(names, ["drop", "wait"]);
    }
}
