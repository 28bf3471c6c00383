// SPDX-License-Identifier: GPL-2.0

//! Checking parsed commands against what a kernel supports: the
//! SUPPORTED_AUTH and SUPPORTED_ENCRYPT lists of its REGISTER reply (as
//! ipsec-tools' `ipsec_check_keylen` does after its REGISTER).

use ipsec_core::pfkey::ext::{Alg, SupportedKind};
use ipsec_core::pfkey::{parse, MsgType, ParseError, SaType};

use crate::parse::{AlgSetting, Command, CommandKind, Diagnostic, SaCommand};

/// The algorithms a kernel announced, per SA type. A list registered
/// for `UNSPEC` answers for every type without a list of its own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelAlgs {
    lists: Vec<(SaType, Vec<Alg>, Vec<Alg>)>,
}

impl KernelAlgs {
    /// No lists: nothing is checked.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the lists of `satype` (replacing earlier ones).
    pub fn set(&mut self, satype: SaType, auth: &[Alg], encrypt: &[Alg]) {
        self.lists.retain(|(t, _, _)| *t != satype);
        self.lists.push((satype, auth.to_vec(), encrypt.to_vec()));
    }

    /// Takes the lists of a REGISTER reply (for the reply's SA type).
    /// Errors if the bytes are not a valid REGISTER message.
    pub fn add_register_reply(&mut self, reply: &[u8]) -> Result<(), ParseError> {
        let m = parse(reply)?;
        if m.msg_type() != MsgType::REGISTER {
            return Err(ParseError::inval("not a REGISTER message"));
        }
        let list = |k| {
            m.supported(k)
                .map(|s| s.algs().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let auth = list(SupportedKind::Auth);
        let enc = list(SupportedKind::Encrypt);
        self.set(m.satype(), &auth, &enc);
        Ok(())
    }

    /// The (auth, encrypt) lists that answer for `satype`.
    pub fn lists_for(&self, satype: SaType) -> Option<(&[Alg], &[Alg])> {
        let find = |t: SaType| self.lists.iter().find(|(x, _, _)| *x == t);
        find(satype)
            .or_else(|| find(SaType::UNSPEC))
            .map(|(_, a, e)| (a.as_slice(), e.as_slice()))
    }
}

/// Whether `list` has `alg` with its key size.
fn listed(list: &[Alg], alg: &AlgSetting) -> bool {
    let bits = alg.key_bits();
    list.iter()
        .any(|a| a.id == alg.id && u32::from(a.minbits) <= bits && bits <= u32::from(a.maxbits))
}

fn unsupported(file_name: &str, alg: &AlgSetting) -> Diagnostic {
    let what = match &alg.key {
        Some(_) => format!("algorithm {} with {}-bit key", alg.name, alg.key_bits()),
        None => format!("algorithm {}", alg.name),
    };
    Diagnostic::new(
        file_name,
        alg.line,
        alg.col,
        format!("{what} is not supported by the kernel"),
    )
}

fn check_sa(sa: &SaCommand, file_name: &str, kernel: &KernelAlgs) -> Result<(), Diagnostic> {
    let Some((auth, enc)) = kernel.lists_for(sa.satype) else {
        return Ok(());
    };
    if let Some(e) = sa.enc.as_ref().filter(|e| !listed(enc, e)) {
        return Err(unsupported(file_name, e));
    }
    if let Some(a) = sa.auth.as_ref().filter(|a| !listed(auth, a)) {
        return Err(unsupported(file_name, a));
    }
    Ok(())
}

/// Checks every `add` and `update` against the kernel's lists and reports
/// the first algorithm (or key size) the kernel did not announce as
/// `file:line:col: algorithm X with N-bit key is not supported by the
/// kernel`. SA types without a list, and IPComp (whose algorithms
/// SUPPORTED does not list), are not checked.
pub fn check_kernel_support(
    commands: &[Command],
    file_name: &str,
    kernel: &KernelAlgs,
) -> Result<(), Diagnostic> {
    commands.iter().try_for_each(|c| match &c.kind {
        CommandKind::Add(sa) | CommandKind::Update(sa) if sa.satype != SaType::X_IPCOMP => {
            check_sa(sa, file_name, kernel)
        }
        _ => Ok(()),
    })
}
