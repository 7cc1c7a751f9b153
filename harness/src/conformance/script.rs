//! A `.wast` script turned into engine-neutral steps: parsed and encoded once,
//! then run on every engine by [`super::exec`].

pub use crate::source::expect::{AnyKind, FloatPat, Pattern};
use crate::source::module_info::{self, ModuleInfo};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use wasmgate_runners::{AnyVal, Val, ValType};
use wast::core::{HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastRet, Wat};

/// One `.wast` file, ready to run.
#[derive(Debug)]
pub struct Script {
    /// Name in reports: `wasm-v2/i32.wast`, or the path given.
    pub file: String,
    /// The script's text (worker processes parse it again themselves).
    pub source: String,
    pub steps: Vec<Step>,
    /// Text-format checks (`assert_malformed` on quoted text and the like):
    /// they test the text parser, not an engine, so they are checked once here.
    pub text: TextChecks,
}

/// Outcome of the text-format checks of a script.
#[derive(Debug, Default, Clone)]
pub struct TextChecks {
    pub passed: usize,
    /// Lines whose text the parser accepted although the script says it is malformed.
    pub failed: Vec<usize>,
}

/// One directive of a script.
#[derive(Debug)]
pub struct Step {
    /// 1-based line of the directive.
    pub line: usize,
    /// The directive's keyword (`assert_return`, `module`, …).
    pub directive: &'static str,
    pub kind: StepKind,
}

/// What a directive asks of an engine.
#[derive(Debug)]
pub enum StepKind {
    /// Compile and instantiate; the instance becomes the current one.
    Module {
        wasm: Arc<[u8]>,
        info: Option<Arc<ModuleInfo>>,
    },
    /// Make a module's instance importable under `name`.
    Register { name: String, module: usize },
    /// Run an action and check its outcome.
    Act {
        module: usize,
        action: Action,
        expect: Expect,
    },
    /// The engine must reject the module (`assert_invalid`, binary `assert_malformed`).
    Reject { wasm: Vec<u8> },
    /// The module must compile (`module definition`); instances come later.
    Define { wasm: Arc<[u8]> },
    /// Compile, then instantiation must fail as `expect` says.
    Instantiate { wasm: Vec<u8>, expect: Instantiation },
    /// Not run (a directive or value the harness cannot express); counted as skipped.
    Skip { why: String },
    /// A mistake in the script itself (an `invoke` of a function its module
    /// does not export): fails on every engine, never a silent skip.
    Broken { why: String },
}

/// An `invoke` or a `get`.
#[derive(Debug)]
pub enum Action {
    Invoke {
        name: String,
        args: Vec<Val>,
        results: Vec<ValType>,
    },
    Get {
        global: String,
    },
}

/// What an action must do.
#[derive(Debug)]
pub enum Expect {
    /// Return values matching these patterns.
    Returns(Vec<Pattern>),
    /// Trap with this spec message.
    Trap(String),
    /// Exhaust a resource (the call stack).
    Exhaustion,
    /// Throw an uncaught exception.
    Exception,
    /// Just complete (a bare `invoke`).
    Completes,
}

/// How an instantiation must fail.
#[derive(Debug)]
pub enum Instantiation {
    /// A link error (`assert_unlinkable`).
    Unlinkable,
    /// A trap during instantiation (`assert_trap (module …)`).
    Trap(String),
}

/// A script that cannot be parsed: the message carries `file:line:col`.
#[derive(Debug)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

fn parse_error(file: &str, text: &str, e: &wast::Error) -> ParseError {
    let (line, col) = e.span().linecol_in(text);
    ParseError(format!("{file}:{}:{}: {}", line + 1, col + 1, e.message()))
}

/// Parses and encodes a script.
pub fn parse(file: &str, text: &str) -> Result<Script, ParseError> {
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = ParseBuffer::new_with_lexer(lexer).map_err(|e| parse_error(file, text, &e))?;
    let wast = parser::parse::<Wast>(&buf).map_err(|e| parse_error(file, text, &e))?;
    let mut builder = Builder {
        text,
        steps: Vec::new(),
        current: None,
        named: HashMap::new(),
        definitions: HashMap::new(),
        last_definition: None,
        text_checks: TextChecks::default(),
    };
    for directive in wast.directives {
        builder.directive(directive);
    }
    Ok(Script {
        file: file.to_string(),
        source: text.to_string(),
        steps: builder.steps,
        text: builder.text_checks,
    })
}

struct Builder<'t> {
    text: &'t str,
    steps: Vec<Step>,
    /// Step index of the current module.
    current: Option<usize>,
    /// Step index of each named module.
    named: HashMap<String, usize>,
    /// Module definitions (wasm 3 scripts) by name, and the latest one.
    definitions: HashMap<String, Arc<[u8]>>,
    last_definition: Option<Arc<[u8]>>,
    text_checks: TextChecks,
}

/// What encoding a `QuoteWat` gave.
enum Encoded {
    Binary(Vec<u8>),
    /// The text parser rejected it, with this message.
    TextError(String),
    Component,
}

fn encode(module: &mut QuoteWat<'_>) -> Encoded {
    if matches!(
        module,
        QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
    ) {
        return Encoded::Component;
    }
    match module.encode() {
        Ok(bytes) => Encoded::Binary(bytes),
        Err(e) => Encoded::TextError(e.message()),
    }
}

/// Whether the module is quoted text (`module quote`), i.e. tests the text parser.
fn is_text(module: &QuoteWat<'_>) -> bool {
    matches!(module, QuoteWat::QuoteModule(..))
}

impl Builder<'_> {
    fn line(&self, span: wast::token::Span) -> usize {
        span.linecol_in(self.text).0 + 1
    }

    fn push(&mut self, line: usize, directive: &'static str, kind: StepKind) {
        self.steps.push(Step {
            line,
            directive,
            kind,
        });
    }

    fn skip(&mut self, line: usize, directive: &'static str, why: impl Into<String>) {
        self.push(line, directive, StepKind::Skip { why: why.into() });
    }

    fn resolve(&self, id: Option<wast::token::Id<'_>>) -> Result<usize, String> {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("no module named ${}", id.name())),
            None => self.current.ok_or_else(|| "no module defined yet".to_string()),
        }
    }

    fn info(&self, module: usize) -> Option<&Arc<ModuleInfo>> {
        match &self.steps[module].kind {
            StepKind::Module { info, .. } => info.as_ref(),
            _ => None,
        }
    }

    fn directive(&mut self, directive: WastDirective<'_>) {
        let line = self.line(directive.span());
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                match encode(&mut module) {
                    Encoded::Binary(wasm) => self.module(line, wasm.into(), name),
                    Encoded::TextError(e) => self.skip(line, "module", format!("text does not parse: {e}")),
                    Encoded::Component => self.skip(line, "module", "component-model module"),
                }
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                match encode(&mut module) {
                    Encoded::Binary(wasm) => {
                        let wasm: Arc<[u8]> = wasm.into();
                        if let Some(name) = name {
                            self.definitions.insert(name, wasm.clone());
                        }
                        self.last_definition = Some(wasm.clone());
                        self.push(line, "module definition", StepKind::Define { wasm });
                    }
                    Encoded::TextError(e) => {
                        self.skip(line, "module definition", format!("text does not parse: {e}"))
                    }
                    Encoded::Component => self.skip(line, "module definition", "component-model module"),
                }
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let wasm = match module {
                    Some(id) => self.definitions.get(id.name()).cloned(),
                    None => self.last_definition.clone(),
                };
                match wasm {
                    Some(wasm) => self.module(line, wasm, instance.map(|id| id.name().to_string())),
                    None => self.skip(line, "module instance", "no such module definition"),
                }
            }
            WastDirective::Register { name, module, .. } => match self.resolve(module) {
                Ok(module) => self.push(
                    line,
                    "register",
                    StepKind::Register {
                        name: name.to_string(),
                        module,
                    },
                ),
                Err(e) => self.skip(line, "register", e),
            },
            WastDirective::Invoke(invoke) => {
                self.act(line, "invoke", WastExecute::Invoke(invoke), Expect::Completes)
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                let patterns: Result<Vec<_>, _> = results.iter().map(pattern).collect();
                match patterns {
                    Ok(p) => self.act(line, "assert_return", exec, Expect::Returns(p)),
                    Err(why) => self.skip(line, "assert_return", why),
                }
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                self.act(line, "assert_trap", exec, Expect::Trap(message.to_string()))
            }
            WastDirective::AssertExhaustion { call, .. } => self.act(
                line,
                "assert_exhaustion",
                WastExecute::Invoke(call),
                Expect::Exhaustion,
            ),
            WastDirective::AssertException { exec, .. } => {
                self.act(line, "assert_exception", exec, Expect::Exception)
            }
            WastDirective::AssertUnlinkable { module, .. } => {
                let mut module = QuoteWat::Wat(module);
                self.instantiate(line, "assert_unlinkable", &mut module, Instantiation::Unlinkable)
            }
            WastDirective::AssertInvalid { mut module, .. } => {
                self.reject(line, "assert_invalid", &mut module)
            }
            WastDirective::AssertMalformed { mut module, .. } => {
                self.reject(line, "assert_malformed", &mut module)
            }
            WastDirective::AssertInvalidCustom { .. } | WastDirective::AssertMalformedCustom { .. } => {
                self.skip(line, "assert_custom", "custom-section annotations (text format)")
            }
            WastDirective::AssertSuspension { .. } => {
                self.skip(line, "assert_suspension", "stack switching is not supported")
            }
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                self.skip(line, "thread", "threads in scripts are not supported")
            }
        }
    }

    /// A module to instantiate; it becomes the current one (and `name`'s).
    fn module(&mut self, line: usize, wasm: Arc<[u8]>, name: Option<String>) {
        let info = module_info::inspect(&wasm).ok().map(Arc::new);
        self.push(line, "module", StepKind::Module { wasm, info });
        let index = self.steps.len() - 1;
        self.current = Some(index);
        if let Some(name) = name {
            self.named.insert(name, index);
        }
    }

    fn reject(&mut self, line: usize, directive: &'static str, module: &mut QuoteWat<'_>) {
        let text = is_text(module);
        match encode(module) {
            // Rejected by the text parser: a text-format check, done here.
            Encoded::TextError(_) => self.text_checks.passed += 1,
            Encoded::Binary(_) if text && directive == "assert_malformed" => {
                self.text_checks.failed.push(line)
            }
            Encoded::Binary(wasm) => self.push(line, directive, StepKind::Reject { wasm }),
            Encoded::Component => self.skip(line, directive, "component-model module"),
        }
    }

    fn instantiate(
        &mut self,
        line: usize,
        directive: &'static str,
        module: &mut QuoteWat<'_>,
        expect: Instantiation,
    ) {
        match encode(module) {
            Encoded::Binary(wasm) => self.push(line, directive, StepKind::Instantiate { wasm, expect }),
            Encoded::TextError(e) => self.skip(line, directive, format!("text does not parse: {e}")),
            Encoded::Component => self.skip(line, directive, "component-model module"),
        }
    }

    fn act(&mut self, line: usize, directive: &'static str, exec: WastExecute<'_>, expect: Expect) {
        let (module, action) = match exec {
            WastExecute::Wat(wat) => {
                let expect = match expect {
                    Expect::Trap(message) => Instantiation::Trap(message),
                    _ => return self.skip(line, directive, "only traps are expected of a module here"),
                };
                return self.instantiate(line, directive, &mut QuoteWat::Wat(wat), expect);
            }
            WastExecute::Get { module, global, .. } => (
                module,
                Ok(Action::Get {
                    global: global.to_string(),
                }),
            ),
            WastExecute::Invoke(invoke) => {
                let args: Result<Vec<Val>, String> = invoke.args.iter().map(argument).collect();
                (
                    invoke.module,
                    args.map(|args| (invoke.name, args))
                        .map(|(name, args)| Action::Invoke {
                            name: name.to_string(),
                            args,
                            results: Vec::new(),
                        }),
                )
            }
        };
        let module = match self.resolve(module) {
            Ok(m) => m,
            Err(e) => return self.skip(line, directive, e),
        };
        let mut action = match action {
            Ok(a) => a,
            Err(why) => return self.skip(line, directive, why),
        };
        if let Action::Invoke { name, results, args } = &mut action {
            let Some(info) = self.info(module) else {
                return self.skip(
                    line,
                    directive,
                    "its module uses types outside the harness value model",
                );
            };
            match info.funcs.iter().find(|f| f.name == *name) {
                Some(f) => {
                    *results = f.results.clone();
                    // A null argument takes the hierarchy of its parameter
                    // (`ref.null $t` names a type index, not a hierarchy).
                    for (arg, ty) in args.iter_mut().zip(&f.params) {
                        if is_null_ref(arg) {
                            *arg = Val::zero(*ty);
                        }
                    }
                }
                None if info.uncallable.contains(name) => {
                    return self.skip(
                        line,
                        directive,
                        format!("`{name}` has a signature outside the value model"),
                    );
                }
                None => {
                    let why = format!("the script invokes `{name}`, which its module does not export");
                    self.push(line, directive, StepKind::Broken { why });
                    return;
                }
            }
        }
        self.push(
            line,
            directive,
            StepKind::Act {
                module,
                action,
                expect,
            },
        );
    }
}

fn argument(arg: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(core) = arg else {
        return Err("component-model argument".into());
    };
    Ok(match core {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(HeapType::Abstract { ty, shared: false }) => {
            use wast::core::AbstractHeapType as A;
            match ty {
                A::Func | A::NoFunc => Val::FuncRef { null: true },
                A::Extern | A::NoExtern => Val::ExternRef { null: true },
                A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::None => Val::AnyRef(AnyVal::Null),
                A::Exn | A::NoExn => Val::ExnRef { null: true },
                other => return Err(format!("a null of {other:?} outside the harness value model")),
            }
        }
        // A null of a concrete type: its hierarchy comes from the parameter
        // it is passed to (see `Script::act`).
        WastArgCore::RefNull(HeapType::Concrete(_) | HeapType::Exact(_)) => Val::AnyRef(AnyVal::Null),
        WastArgCore::RefExtern(n) => Val::HostRef(*n),
        WastArgCore::RefHost(n) => Val::AnyRef(AnyVal::Host(*n)),
        other => return Err(format!("argument {other:?} outside the harness value model")),
    })
}

fn is_null_ref(v: &Val) -> bool {
    matches!(
        v,
        Val::FuncRef { null: true }
            | Val::ExternRef { null: true }
            | Val::ExnRef { null: true }
            | Val::AnyRef(AnyVal::Null)
    )
}

fn float(p: &NanPattern<u64>) -> FloatPat {
    match p {
        NanPattern::CanonicalNan => FloatPat::CanonicalNan,
        NanPattern::ArithmeticNan => FloatPat::ArithmeticNan,
        NanPattern::Value(b) => FloatPat::Bits(*b),
    }
}

fn f32_pat(p: &NanPattern<wast::token::F32>) -> FloatPat {
    float(&match p {
        NanPattern::CanonicalNan => NanPattern::CanonicalNan,
        NanPattern::ArithmeticNan => NanPattern::ArithmeticNan,
        NanPattern::Value(v) => NanPattern::Value(v.bits as u64),
    })
}

fn f64_pat(p: &NanPattern<wast::token::F64>) -> FloatPat {
    float(&match p {
        NanPattern::CanonicalNan => NanPattern::CanonicalNan,
        NanPattern::ArithmeticNan => NanPattern::ArithmeticNan,
        NanPattern::Value(v) => NanPattern::Value(v.bits),
    })
}

fn lanes<T: Copy, const N: usize>(lanes: &[T; N], bits: impl Fn(T) -> u128, width: u32) -> u128 {
    lanes
        .iter()
        .enumerate()
        .fold(0u128, |acc, (i, l)| acc | (bits(*l) << (width * i as u32)))
}

fn pattern(ret: &WastRet<'_>) -> Result<Pattern, String> {
    let WastRet::Core(core) = ret else {
        return Err("component-model result".into());
    };
    core_pattern(core)
}

fn core_pattern(core: &WastRetCore<'_>) -> Result<Pattern, String> {
    Ok(match core {
        WastRetCore::I32(v) => Pattern::Exact(Val::I32(*v)),
        WastRetCore::I64(v) => Pattern::Exact(Val::I64(*v)),
        WastRetCore::F32(p) => Pattern::F32(f32_pat(p)),
        WastRetCore::F64(p) => Pattern::F64(f64_pat(p)),
        WastRetCore::V128(v) => match v {
            V128Pattern::I8x16(l) => Pattern::Exact(Val::V128(lanes(l, |x| x as u8 as u128, 8))),
            V128Pattern::I16x8(l) => Pattern::Exact(Val::V128(lanes(l, |x| x as u16 as u128, 16))),
            V128Pattern::I32x4(l) => Pattern::Exact(Val::V128(lanes(l, |x| x as u32 as u128, 32))),
            V128Pattern::I64x2(l) => Pattern::Exact(Val::V128(lanes(l, |x| x as u64 as u128, 64))),
            V128Pattern::F32x4(l) => {
                Pattern::F32x4([f32_pat(&l[0]), f32_pat(&l[1]), f32_pat(&l[2]), f32_pat(&l[3])])
            }
            V128Pattern::F64x2(l) => Pattern::F64x2([f64_pat(&l[0]), f64_pat(&l[1])]),
        },
        WastRetCore::RefNull(_) => Pattern::RefNull,
        WastRetCore::RefExtern(n) => Pattern::RefExtern(*n),
        WastRetCore::RefFunc(_) => Pattern::RefFunc,
        WastRetCore::RefHost(n) => Pattern::Exact(Val::AnyRef(AnyVal::Host(*n))),
        WastRetCore::RefAny => Pattern::RefAny(AnyKind::Any),
        WastRetCore::RefEq => Pattern::RefAny(AnyKind::Eq),
        WastRetCore::RefI31 => Pattern::RefAny(AnyKind::I31),
        WastRetCore::RefStruct => Pattern::RefAny(AnyKind::Struct),
        WastRetCore::RefArray => Pattern::RefAny(AnyKind::Array),
        WastRetCore::Either(alts) => {
            Pattern::Either(alts.iter().map(core_pattern).collect::<Result<_, _>>()?)
        }
        other => {
            return Err(format!(
                "result pattern {other:?} outside the harness value model"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_patterns() {
        assert!(FloatPat::CanonicalNan.matches(0x7fc0_0000, 32));
        assert!(FloatPat::CanonicalNan.matches(0xffc0_0000, 32));
        assert!(!FloatPat::CanonicalNan.matches(0x7fc0_0001, 32));
        assert!(FloatPat::ArithmeticNan.matches(0x7fc0_0001, 32));
        assert!(!FloatPat::ArithmeticNan.matches(0x7f80_0001, 32));
        assert!(!FloatPat::ArithmeticNan.matches(0x7f80_0000, 32));
        assert!(FloatPat::CanonicalNan.matches(0x7ff8_0000_0000_0000, 64));
        assert!(FloatPat::ArithmeticNan.matches(0xfff8_0000_0000_0001, 64));
    }

    #[test]
    fn vector_and_reference_patterns() {
        let lanes = |l: [u32; 4]| Val::V128(l.iter().rev().fold(0u128, |acc, x| (acc << 32) | *x as u128));
        let p = Pattern::F32x4([
            FloatPat::Bits(0x3f80_0000),
            FloatPat::CanonicalNan,
            FloatPat::ArithmeticNan,
            FloatPat::Bits(0x8000_0000),
        ]);
        assert!(p.matches(&lanes([0x3f80_0000, 0xffc0_0000, 0x7fc0_1234, 0x8000_0000])));
        assert!(!p.matches(&lanes([0x3f80_0000, 0x7fc0_0001, 0x7fc0_1234, 0x8000_0000])));
        assert!(
            !p.matches(&lanes([0x3f80_0000, 0x7fc0_0000, 0x7fc0_1234, 0])),
            "-0 is not +0"
        );
        assert!(!p.matches(&Val::I32(0)));
        assert!(Pattern::RefExtern(Some(3)).matches(&Val::HostRef(3)));
        assert!(!Pattern::RefExtern(Some(3)).matches(&Val::HostRef(4)));
        assert!(!Pattern::RefExtern(None).matches(&Val::ExternRef { null: true }));
        assert!(Pattern::RefNull.matches(&Val::FuncRef { null: true }));
        assert!(!Pattern::RefFunc.matches(&Val::FuncRef { null: true }));
        let either = Pattern::Either(vec![Pattern::Exact(Val::I32(1)), Pattern::Exact(Val::I32(2))]);
        assert!(either.matches(&Val::I32(2)) && !either.matches(&Val::I32(3)));
    }

    #[test]
    fn steps_resolve_modules_and_signatures() {
        let script = parse(
            "t.wast",
            r#"(module $a (func (export "f") (param i32) (result i64) (i64.const 1)))
               (register "a" $a)
               (assert_return (invoke $a "f" (i32.const 2)) (i64.const 1))
               (assert_malformed (module quote "(func") "unexpected end")
               (assert_invalid (module (func (result i32))) "type mismatch")"#,
        )
        .unwrap();
        assert_eq!(script.text.passed, 1);
        let kinds: Vec<_> = script.steps.iter().map(|s| (s.line, s.directive)).collect();
        assert_eq!(
            kinds,
            vec![
                (1, "module"),
                (2, "register"),
                (3, "assert_return"),
                (5, "assert_invalid")
            ]
        );
        let StepKind::Act {
            module: 0,
            action: Action::Invoke { results, args, .. },
            ..
        } = &script.steps[2].kind
        else {
            panic!("{:?}", script.steps[2]);
        };
        assert_eq!(results, &vec![ValType::I64]);
        assert_eq!(args, &vec![Val::I32(2)]);
    }

    #[test]
    fn module_definitions_instantiate_as_modules() {
        let script = parse(
            "d.wast",
            r#"(module definition $D (global (export "g") (mut i32) (i32.const 1)))
               (module instance $I $D)
               (register "I" $I)
               (module (import "I" "g" (global (mut i32))))"#,
        )
        .unwrap();
        let kinds: Vec<_> = script.steps.iter().map(|s| s.directive).collect();
        assert_eq!(kinds, vec!["module definition", "module", "register", "module"]);
        assert!(matches!(
            script.steps[2].kind,
            StepKind::Register { module: 1, .. }
        ));
    }

    #[test]
    fn parse_errors_name_file_and_line() {
        let e = parse("bad.wast", "(module)\n(assert_return (invoke \"f\"").unwrap_err();
        assert!(e.0.starts_with("bad.wast:2:"), "{e}");
    }
}
