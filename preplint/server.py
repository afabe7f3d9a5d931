"""`preplint server`: a language server over stdio (diagnostics, fixes, rule docs) built on pygls."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from preplint import __version__
from preplint.cache import FactsCache
from preplint.config import Config, find_config, load_config
from preplint.diagnostics import Diagnostic, Fix, Severity
from preplint.engine import lint_text
from preplint.errors import PreplintError
from preplint.pipeline.dependencies import is_dependency_file
from preplint.pipeline.parsed import Parsed

SOURCE = "preplint"
FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.preplint"
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}
# Files whose change can change another file's findings (partners, dependency files, config).
WATCHED = (
    "**/*.py",
    "**/pyproject.toml",
    "**/preplint.toml",
    "**/setup.cfg",
    "**/setup.py",
    "**/requirements*.txt",
    "**/requirements*.in",
    "**/requirements/*.txt",
    "**/environment.yml",
    "**/environment.yaml",
    "**/Pipfile",
)


class MemoryCache(FactsCache):
    """Facts of partner files, kept in memory by content: a warm re-lint parses only the buffer."""

    LIMIT = 4096

    def __init__(self) -> None:
        super().__init__(Path(os.devnull))
        self._entries: dict[tuple[str, bytes], Parsed] = {}

    @staticmethod
    def _digest(file: Path) -> bytes | None:
        try:
            return hashlib.sha256(file.read_bytes()).digest()
        except OSError:
            return None

    def get(self, file: Path, shown: str) -> Parsed | None:
        digest = self._digest(file)
        return None if digest is None else self._entries.get((shown, digest))

    def put(self, file: Path, parsed: Parsed) -> None:
        digest = self._digest(file)
        if digest is None:
            return
        if len(self._entries) >= self.LIMIT:
            self._entries.clear()
        self._entries[(parsed.path, digest)] = parsed


@dataclass
class Linted:
    """The last lint of one open document."""

    version: int | None
    diagnostics: tuple[Diagnostic, ...]  # those about this document
    published: list[types.Diagnostic]  # the same, as sent, in the same order
    inputs: frozenset[str]  # absolute paths of partners and dependency files read
    foreign: dict[str, list[types.Diagnostic]] = field(default_factory=dict)  # other uri → diags


class PreplintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("preplint", __version__)
        self.linted: dict[str, Linted] = {}
        self.configs: dict[str, Config] = {}
        self.cache = MemoryCache()
        self.reported_config_errors: set[str] = set()

    # --- linting -------------------------------------------------------------------------------

    def config_for(self, path: Path) -> Config:
        folder = str(path.parent)
        config = self.configs.get(folder)
        if config is None:
            try:
                # find_config raises too: a broken pyproject.toml on the way up is an error.
                found = find_config(path.parent if path.parent.is_dir() else Path.cwd())
                config = load_config(found) if found is not None else Config()
            except PreplintError as exc:
                message = f"preplint: {exc}"
                if message not in self.reported_config_errors:
                    self.reported_config_errors.add(message)
                    self.window_show_message(
                        types.ShowMessageParams(types.MessageType.Error, message)
                    )
                config = Config()
            self.configs[folder] = config
        return config

    def overlays(self, skip: str) -> dict[str, str]:
        """Open buffers other than `skip`, by absolute path: unsaved edits count as the file."""
        out: dict[str, str] = {}
        for uri, document in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if uri != skip and path:
                out[os.path.abspath(path)] = document.source
        return out

    def lint(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        path = to_fs_path(uri)
        if not path or not path.endswith(".py"):
            return
        result = lint_text(
            document.source.encode("utf-8", "surrogatepass"),
            path,
            self.config_for(Path(path)),
            overlays=self.overlays(uri),
            cache=self.cache,
        )
        own = os.path.abspath(path)
        mine: list[Diagnostic] = []
        others: dict[str, list[types.Diagnostic]] = {}
        for d in result.report.diagnostics:
            target = os.path.abspath(d.path)
            if target == own:
                mine.append(d)
            else:
                other_uri = from_fs_path(target) or target
                others.setdefault(other_uri, []).append(self.to_lsp(d, other_uri))
        published = [self.to_lsp(d, uri) for d in mine]
        previous = self.linted.get(uri)
        inputs = frozenset(os.path.abspath(p) for p in (*result.partners, *result.dependency_files))
        self.linted[uri] = Linted(document.version, tuple(mine), published, inputs, others)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri, published, version=document.version)
        )
        stale = set(previous.foreign) if previous is not None else set()
        for other_uri in stale | set(others):
            self.publish_foreign(other_uri)

    def publish_foreign(self, uri: str) -> None:
        """Findings about a file (a requirements.txt) reported while linting another one."""
        if uri in self.linted:
            own = self.linted[uri].published
        else:
            own = []
        merged = list(own)
        for state in self.linted.values():
            merged.extend(state.foreign.get(uri, ()))
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, merged))

    def lint_dependents(self, changed: str, *, skip: str | None = None, near: bool = True) -> None:
        """Re-lint open documents that read `changed` (an absolute path), or, when it changed on
        disk (`near`), may start to: partners are found among the files beside a document."""
        folder = os.path.dirname(changed)
        for uri in list(self.linted):
            if uri == skip:
                continue
            path = to_fs_path(uri)
            if not path:
                continue
            own_folder = os.path.dirname(os.path.abspath(path))
            beside = near and folder in (own_folder, os.path.dirname(own_folder))
            if changed in self.linted[uri].inputs or (beside and changed.endswith(".py")):
                self.lint(uri)

    def forget(self, uri: str) -> None:
        state = self.linted.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))
        if state is not None:
            for other_uri in state.foreign:
                self.publish_foreign(other_uri)

    def file_changed(self, path: str, *, skip: str | None = None) -> None:
        changed = os.path.abspath(path)
        if os.path.basename(changed) == "pyproject.toml":
            self.configs.clear()
            self.reported_config_errors.clear()
            for uri in list(self.linted):
                if uri != skip:
                    self.lint(uri)
            return
        if changed.endswith(".py") or is_dependency_file(changed):
            self.lint_dependents(changed, skip=skip)

    # --- converting ----------------------------------------------------------------------------

    def document(self, uri: str) -> TextDocument | None:
        if uri in self.workspace.text_documents:
            return self.workspace.get_text_document(uri)
        return None

    def to_range(
        self, uri: str, line: int, column: int, end_line: int, end_column: int
    ) -> types.Range:
        """preplint's 1-based code-point span as an LSP range in the client's units."""
        start = ServerTextPosition(max(line - 1, 0), max(column - 1, 0))
        end = ServerTextPosition(max(end_line - 1, 0), max(end_column - 1, 0))
        document = self.document(uri)
        if document is None:
            return types.Range(
                types.Position(start.line, start.character), types.Position(end.line, end.character)
            )
        return document.range_to_client_units(ServerTextRange(start, end))

    def to_lsp(self, d: Diagnostic, uri: str) -> types.Diagnostic:
        from preplint.rules import get_rule

        rule = get_rule(d.code)
        related = []
        for r in d.related:
            related_uri = from_fs_path(os.path.abspath(r.path)) or r.path
            where = self.to_range(related_uri, r.line, r.column, r.line, r.column)
            related.append(
                types.DiagnosticRelatedInformation(types.Location(related_uri, where), r.message)
            )
        return types.Diagnostic(
            range=self.to_range(uri, d.line, d.column, d.end_line, d.end_column),
            message=d.message,
            severity=_SEVERITY[d.severity],
            code=d.code,
            code_description=types.CodeDescription(href=docs_url(d.code)) if rule else None,
            source=SOURCE,
            related_information=related or None,
        )

    def edits(self, uri: str, fix: Fix) -> list[types.TextEdit]:
        return [
            types.TextEdit(
                self.to_range(uri, e.line, e.column, e.end_line, e.end_column), e.replacement
            )
            for e in fix.edits
        ]


def docs_url(code: str) -> str:
    from preplint.render_input import DOCS_URL

    return DOCS_URL.format(code=code)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _contains(r: types.Range, p: types.Position) -> bool:
    return (
        (r.start.line, r.start.character)
        <= (p.line, p.character)
        <= (
            r.end.line,
            r.end.character,
        )
    )


def _non_overlapping(edit_sets: Iterable[list[types.TextEdit]]) -> list[types.TextEdit]:
    """Edits of several fixes that can be applied together: a fix that collides is left out."""
    taken: list[types.TextEdit] = []
    for edits in edit_sets:
        if any(_overlaps(e.range, t.range) for e in edits for t in taken):
            continue
        taken.extend(edits)
    return taken


def create_server() -> PreplintServer:
    server = PreplintServer()

    @server.feature(types.INITIALIZED)
    def initialized(ls: PreplintServer, params: types.InitializedParams) -> None:
        root = ls.workspace.root_path
        if root and os.path.isdir(root):
            os.chdir(root)  # paths in messages read as on the command line run from the root
        capabilities = ls.client_capabilities.workspace
        watched = capabilities.did_change_watched_files if capabilities else None
        if watched is not None and watched.dynamic_registration:
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED]
            )
            registration = types.Registration(
                "preplint-watched-files", types.WORKSPACE_DID_CHANGE_WATCHED_FILES, options
            )
            ls.client_register_capability(types.RegistrationParams([registration]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PreplintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.lint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: PreplintServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        # Let changes already waiting be applied first: while typing fast, only the newest
        # version is linted (its own handler does it).
        await asyncio.sleep(0)
        if ls.workspace.get_text_document(uri).version != params.text_document.version:
            return
        ls.lint(uri)
        path = to_fs_path(uri)
        if path:
            ls.lint_dependents(os.path.abspath(path), skip=uri, near=False)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PreplintServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = to_fs_path(uri)
        if path and os.path.basename(path) == "pyproject.toml":
            ls.file_changed(path)
            return
        ls.lint(uri)
        if path:
            ls.file_changed(path, skip=uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PreplintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.forget(uri)
        path = to_fs_path(uri)
        if path:
            ls.file_changed(path)  # partners now read the file from disk again

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(
        ls: PreplintServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        for change in params.changes:
            path = to_fs_path(change.uri)
            if path:
                ls.file_changed(path)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]),
    )
    def code_action(ls: PreplintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        state = ls.linted.get(uri)
        if state is None:
            return []
        only = params.context.only
        wants_quick = not only or any(
            str(k).startswith(types.CodeActionKind.QuickFix.value) for k in only
        )
        wants_all = not only or any(FIX_ALL.startswith(str(k)) for k in only)
        actions: list[types.CodeAction] = []
        safe: list[list[types.TextEdit]] = []
        for d, shown in zip(state.diagnostics, state.published, strict=True):
            if d.fix is None or not d.fix.edits:
                continue
            edits = ls.edits(uri, d.fix)
            if not d.fix.unsafe:
                safe.append(edits)
            if wants_quick and _overlaps(shown.range, params.range):
                title = f"{d.fix.description} ({d.code})"
                actions.append(
                    types.CodeAction(
                        title=title + (" (unsafe)" if d.fix.unsafe else ""),
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[shown],
                        edit=types.WorkspaceEdit(changes={uri: edits}),
                        is_preferred=not d.fix.unsafe,
                    )
                )
        if wants_all and safe:
            actions.append(
                types.CodeAction(
                    title="preplint: apply all safe fixes",
                    kind=FIX_ALL,
                    edit=types.WorkspaceEdit(changes={uri: _non_overlapping(safe)}),
                )
            )
        return actions

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: PreplintServer, params: types.HoverParams) -> types.Hover | None:
        from preplint.rules import get_rule

        state = ls.linted.get(params.text_document.uri)
        if state is None:
            return None
        pages: list[str] = []
        ranges: list[types.Range] = []
        for d, shown in zip(state.diagnostics, state.published, strict=True):
            rule = get_rule(d.code)
            if rule is None or not _contains(shown.range, params.position):
                continue
            page = f"{rule.markdown}\n[{d.code} documentation]({docs_url(d.code)})\n"
            if page not in pages:
                pages.append(page)
                ranges.append(shown.range)
        if not pages:
            return None
        return types.Hover(
            contents=types.MarkupContent(types.MarkupKind.Markdown, "\n---\n\n".join(pages)),
            range=ranges[0] if len(ranges) == 1 else None,
        )

    return server


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    create_server().start_io()
