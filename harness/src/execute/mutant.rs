//! Fault injection: engine wrappers that are wrong on purpose, so the gate can
//! prove it fails when an engine is (`wasmgate selftest`).
//!
//! - `mutant:ENGINE:OP` runs ENGINE on a rewritten module in which the result of
//!   every OP (a numeric instruction such as `i32.add`) is corrupted: integers
//!   get their lowest bit flipped, floats their sign.
//! - `crash:ENGINE:OP` aborts the process when asked to compile a module that
//!   contains OP (an engine segfault, as the supervisor sees it).
//! - `hang:ENGINE:OP` never returns from compiling a module that contains OP.

use anyhow::{Result, bail};
use std::sync::Arc;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::{CodeSection, Instruction};
use wasmgate_runners::{Compiled, Engine, EngineInfo, Failure, InstanceId, ModuleId, Session, Val, ValType};

/// The prefix that selects a result-corrupting engine.
pub const PREFIX: &str = "mutant:";
/// The prefixes of every fault-injecting engine.
pub const PREFIXES: [&str; 3] = [PREFIX, "crash:", "hang:"];

/// What the wrapper does wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Corrupts the instruction's result.
    Corrupt,
    /// Aborts the process.
    Crash,
    /// Blocks forever.
    Hang,
}

/// An engine that corrupts one instruction's result before running `inner`.
pub struct MutantEngine {
    inner: Arc<dyn Engine>,
    op: String,
    variant: String,
    corruption: Vec<Instruction<'static>>,
    fault: Fault,
    info: EngineInfo,
}

/// wasmparser's `Operator` variant name for a text-format instruction name:
/// `i32.shr_s` → `I32ShrS`.
fn variant_name(op: &str) -> String {
    op.split(['.', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn corruption_for(op: &str) -> Result<Vec<Instruction<'static>>> {
    let Some((ty, rest)) = op.split_once('.') else {
        bail!("`{op}` is not an instruction name like i32.add");
    };
    if rest.contains("store") || rest.contains("load") || rest == "const" {
        bail!("`{op}` cannot be mutated: pick a numeric operator such as i32.add or f64.mul");
    }
    let compares = [
        "eqz", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u", "lt", "gt", "le",
        "ge",
    ];
    let result = if compares.contains(&rest) { "i32" } else { ty };
    Ok(match result {
        "i32" => vec![Instruction::I32Const(1), Instruction::I32Xor],
        "i64" => vec![Instruction::I64Const(1), Instruction::I64Xor],
        "f32" => vec![Instruction::F32Neg],
        "f64" => vec![Instruction::F64Neg],
        _ => bail!("`{op}` cannot be mutated: only i32/i64/f32/f64 operators are supported"),
    })
}

impl MutantEngine {
    /// Parses `mutant:ENGINE:OP` (or `crash:…`, `hang:…`), building ENGINE with `build`.
    pub fn parse(spec: &str, build: impl Fn(&str) -> Result<Arc<dyn Engine>>) -> Result<Self> {
        let (prefix, fault) = [
            ("mutant:", Fault::Corrupt),
            ("crash:", Fault::Crash),
            ("hang:", Fault::Hang),
        ]
        .into_iter()
        .find(|(p, _)| spec.starts_with(p))
        .unwrap_or((PREFIX, Fault::Corrupt));
        let rest = spec.strip_prefix(prefix).unwrap_or(spec);
        let Some((inner, op)) = rest.rsplit_once(':') else {
            bail!(
                "fault-injecting engine `{spec}` must look like {prefix}ENGINE:OP, e.g. {prefix}wasmi:i32.add"
            );
        };
        let inner = build(inner)?;
        let corruption = corruption_for(op)?;
        let info = EngineInfo {
            name: format!("{prefix}{}:{op}", inner.info().name),
            version: inner.info().version.clone(),
            features: inner.info().features.clone(),
        };
        Ok(MutantEngine {
            inner,
            op: op.to_string(),
            variant: variant_name(op),
            corruption,
            fault,
            info,
        })
    }

    /// The module with every `op` result corrupted, or `None` if the bytes
    /// can't be re-encoded (then the engine sees them untouched and must reject them).
    pub fn mutate(&self, wasm: &[u8]) -> Option<Vec<u8>> {
        self.rewrite(wasm).map(|(bytes, _)| bytes)
    }

    /// The rewritten module and how many times `op` occurs in it.
    fn rewrite(&self, wasm: &[u8]) -> Option<(Vec<u8>, usize)> {
        let mut module = wasm_encoder::Module::new();
        let mut rewriter = Rewriter {
            variant: &self.variant,
            corruption: &self.corruption,
            hits: 0,
        };
        rewriter
            .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
            .ok()?;
        Some((module.finish(), rewriter.hits))
    }

    /// The instruction being corrupted.
    pub fn op(&self) -> &str {
        &self.op
    }
}

struct Rewriter<'a> {
    variant: &'a str,
    corruption: &'a [Instruction<'static>],
    hits: usize,
}

impl Reencode for Rewriter<'_> {
    type Error = std::convert::Infallible;

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        let mut f = self.new_function_with_parsed_locals(&func)?;
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            let debug = format!("{op:?}");
            let hit = debug.split([' ', '(', '{']).next() == Some(self.variant);
            f.instruction(&self.instruction(op)?);
            if hit {
                self.hits += 1;
                for i in self.corruption {
                    f.instruction(i);
                }
            }
        }
        code.function(&f);
        Ok(())
    }
}

impl Engine for MutantEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        match (self.fault, self.rewrite(wasm)) {
            (Fault::Corrupt, Some((mutated, _))) => self.inner.compile(&mutated),
            (Fault::Crash, Some((_, hits))) if hits > 0 => std::process::abort(),
            (Fault::Hang, Some((_, hits))) if hits > 0 => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            _ => self.inner.compile(wasm),
        }
    }

    /// Linked sessions (conformance runs), with the same faults as `compile`.
    fn session(&self) -> Result<Box<dyn Session + '_>, String> {
        Ok(Box::new(MutantSession {
            engine: self,
            inner: self.inner.session()?,
        }))
    }
}

/// A session whose modules are corrupted before the inner engine compiles them.
struct MutantSession<'a> {
    engine: &'a MutantEngine,
    inner: Box<dyn Session + 'a>,
}

impl Session for MutantSession<'_> {
    fn compile(&mut self, wasm: &[u8]) -> Result<ModuleId, String> {
        match (self.engine.fault, self.engine.rewrite(wasm)) {
            (Fault::Corrupt, Some((mutated, _))) => self.inner.compile(&mutated),
            (Fault::Crash, Some((_, hits))) if hits > 0 => std::process::abort(),
            (Fault::Hang, Some((_, hits))) if hits > 0 => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            _ => self.inner.compile(wasm),
        }
    }

    fn instantiate(&mut self, module: ModuleId) -> Result<InstanceId, Failure> {
        self.inner.instantiate(module)
    }

    fn register(&mut self, instance: InstanceId, name: &str) -> Result<(), String> {
        self.inner.register(instance, name)
    }

    fn call(
        &mut self,
        instance: InstanceId,
        name: &str,
        args: &[Val],
        results: &[ValType],
    ) -> Result<Vec<Val>, Failure> {
        self.inner.call(instance, name, args, results)
    }

    fn global(&mut self, instance: InstanceId, name: &str) -> Result<Val, Failure> {
        self.inner.global(instance, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_follow_wasmparser() {
        assert_eq!(variant_name("i32.add"), "I32Add");
        assert_eq!(variant_name("i64.shr_s"), "I64ShrS");
        assert_eq!(variant_name("f32.convert_i32_u"), "F32ConvertI32U");
    }

    #[test]
    fn rejects_unmutatable_ops() {
        assert!(corruption_for("i32.load").is_err());
        assert!(corruption_for("nop").is_err());
        assert!(corruption_for("v128.and").is_err());
        assert!(matches!(
            corruption_for("i64.lt_s").unwrap()[1],
            Instruction::I32Xor
        ));
    }
}
