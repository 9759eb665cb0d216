import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

/** What the server said about one document: LSP diagnostics, 0-based lines. */
export interface Diagnostic {
  readonly range: { readonly start: { line: number; character: number }; readonly end: { line: number; character: number } };
  readonly message: string;
  readonly severity?: number;
}

export interface CompletionItem {
  readonly label: string;
  readonly insertText?: string;
  readonly documentation?: string | { value: string };
}

/**
 * The YAML language server VS Code's YAML extension runs, driven over stdio as an editor would: open a
 * document, wait for its diagnostics, ask for completion and hover. One server serves a whole test file.
 */
export class YamlLanguageClient {
  private readonly diagnostics = new Map<string, (items: Diagnostic[]) => void>();
  private readonly open = new Set<string>();
  private version = 0;

  private constructor(
    private readonly server: ChildProcess,
    private readonly connection: MessageConnection,
    private readonly settings: Record<string, unknown>,
  ) {
    connection.onNotification('textDocument/publishDiagnostics', (params: { uri: string; diagnostics: Diagnostic[] }) => {
      this.diagnostics.get(params.uri)?.(params.diagnostics);
    });
    // The server asks for its settings and schema associations; an editor answers from its own settings.
    connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      params.items.map((item) => (item.section ? (this.settings[item.section] ?? null) : this.settings)),
    );
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onNotification(() => undefined);
  }

  /** Starts the server in a workspace folder; `schemas` is VS Code's `yaml.schemas` setting (schema → globs). */
  static async start(rootFolder: string, schemas: Record<string, string[]> = {}): Promise<YamlLanguageClient> {
    const serverScript = createRequire(import.meta.url).resolve('yaml-language-server/bin/yaml-language-server');
    const server = spawn(process.execPath, [serverScript, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    // As VS Code's YAML extension sends them; the schema store would be fetched from the internet.
    const settings = { yaml: { validate: true, completion: true, hover: true, schemaStore: { enable: false }, schemas } };
    const client = new YamlLanguageClient(server, connection, settings);
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(rootFolder).href,
      capabilities: {
        workspace: { configuration: true },
        textDocument: { completion: { completionItem: { snippetSupport: false, documentationFormat: ['plaintext', 'markdown'] } }, hover: { contentFormat: ['plaintext', 'markdown'] } },
      },
      initializationOptions: {},
    });
    connection.sendNotification('initialized', {});
    connection.sendNotification('workspace/didChangeConfiguration', { settings });
    return client;
  }

  /** Opens (or re-opens) `file` with `text` and resolves with the diagnostics the server publishes for it. */
  diagnose(file: string, text: string): Promise<Diagnostic[]> {
    const uri = pathToFileURL(file).href;
    const published = new Promise<Diagnostic[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${file} within 20 s`)), 20_000);
      this.diagnostics.set(uri, (items) => {
        clearTimeout(timer);
        this.diagnostics.delete(uri);
        resolve(items);
      });
    });
    // An open document is edited as a whole (closing it would publish an empty list first).
    if (this.open.has(uri)) this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++this.version }, contentChanges: [{ text }] });
    else this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: ++this.version, text } });
    this.open.add(uri);
    return published;
  }

  /** Completion items at a 0-based line and character of an opened document. */
  async complete(file: string, line: number, character: number): Promise<CompletionItem[]> {
    const result = await this.connection.sendRequest<{ items: CompletionItem[] } | CompletionItem[] | null>('textDocument/completion', {
      textDocument: { uri: pathToFileURL(file).href },
      position: { line, character },
    });
    return Array.isArray(result) ? result : (result?.items ?? []);
  }

  /** The hover text at a 0-based line and character of an opened document, or '' when there is none. */
  async hover(file: string, line: number, character: number): Promise<string> {
    const result = await this.connection.sendRequest<{ contents: string | { value: string } } | null>('textDocument/hover', {
      textDocument: { uri: pathToFileURL(file).href },
      position: { line, character },
    });
    if (!result) return '';
    return typeof result.contents === 'string' ? result.contents : result.contents.value;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((resolve) => setTimeout(resolve, 2_000))]);
      // The server may be gone before the notification is written: that is the end we want, not an error.
      await this.connection.sendNotification('exit').catch(() => undefined);
    } finally {
      this.connection.dispose();
      this.server.kill();
    }
  }
}
