import { builtinModules } from 'node:module';
import ts from 'typescript';

/** How a module is imported: only a value import is loaded at run time. */
export type ImportKind = 'value' | 'dynamic' | 'type';

export interface ImportedModule {
  /** The module specifier, or undefined for a dynamic import of a computed name. */
  specifier: string | undefined;
  kind: ImportKind;
  line: number;
}

function scriptKind(file: string): ts.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (/\.[cm]?js$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

function literalText(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

/**
 * importsOf lists every module a source file imports: static imports and re-exports (`export …
 * from`), dynamic `import()`, `require()`, and `import('…')` types. Under verbatimModuleSyntax an
 * `import { type A }` still loads its module, so only `import type` and `export type` are type-only.
 */
export function importsOf(file: string, text: string): ImportedModule[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, scriptKind(file));
  const found: ImportedModule[] = [];
  const add = (specifier: string | undefined, kind: ImportKind, node: ts.Node) =>
    found.push({ specifier, kind, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(literalText(node.moduleSpecifier), node.importClause?.isTypeOnly ? 'type' : 'value', node);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(literalText(node.moduleSpecifier), node.isTypeOnly ? 'type' : 'value', node);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(literalText(node.moduleReference.expression), node.isTypeOnly ? 'type' : 'value', node);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(literalText(node.arguments[0]), 'dynamic', node);
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      add(literalText(node.arguments[0]), 'value', node);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(literalText(node.argument.literal), 'type', node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const builtins = new Set(builtinModules);

/**
 * packageOf names the package a bare specifier loads (`@scope/name/sub` → `@scope/name`), or
 * undefined for a relative or absolute path, a URL, or a Node.js builtin.
 */
export function packageOf(specifier: string): string | undefined {
  if (/^(\.|\/|[a-z]+:)/.test(specifier)) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtins.has(name) ? undefined : name;
}
