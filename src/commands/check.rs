//! `check`, `baseline save|show` and `compare`: the gate.

use super::Ctx;
use crate::cli::{CheckArgs, CompareArgs, SaveArgs, ShowArgs};
use crate::error::{Error, Exit, Result};

pub fn check(_ctx: &Ctx, _args: CheckArgs) -> Result<Exit> {
    Err(Error::new("check is not implemented yet"))
}

pub fn baseline_save(_ctx: &Ctx, _args: SaveArgs) -> Result<Exit> {
    Err(Error::new("baseline save is not implemented yet"))
}

pub fn baseline_show(_ctx: &Ctx, _args: ShowArgs) -> Result<Exit> {
    Err(Error::new("baseline show is not implemented yet"))
}

pub fn compare(_ctx: &Ctx, _args: CompareArgs) -> Result<Exit> {
    Err(Error::new("compare is not implemented yet"))
}
