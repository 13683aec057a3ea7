// The kstor extension: starts `kstor lsp` over stdio for YAML and JSON files and hands the
// editor what it publishes (diagnostics, hover, code actions). Everything else is the server's.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration('kstor');
  const command = config.get('path') || 'kstor';
  return { command, args: ['lsp'], transport: TransportKind.stdio };
}

function clientOptions() {
  const config = vscode.workspace.getConfiguration('kstor');
  return {
    documentSelector: [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'file', language: 'json' },
    ],
    initializationOptions: { debounceMs: config.get('debounceMs') },
  };
}

async function start() {
  client = new LanguageClient('kstor', 'kstor', serverOptions(), clientOptions());
  await client.start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('kstor.restartServer', async () => {
      if (client) {
        await client.stop();
      }
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('kstor') && client) {
        await client.stop();
        await start();
      }
    }),
  );
  try {
    await start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `kstor: cannot start \`${serverOptions().command} lsp\` (set kstor.path): ${error.message || error}`,
    );
  }
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };
