/** Reads the relative imports of every file under src/ (for the architecture tests). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** One source file and what it imports: other source files (repository-relative) and packages. */
export interface SourceFile {
  file: string;
  imports: string[];
  packages: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return walk(full);
      return /\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
    });
}

/** Every .ts file under `root/src` with its imports (type-only imports included: they are dependencies too). */
export function sourceFiles(root: string): SourceFile[] {
  return walk(path.join(root, 'src')).map((full) => {
    const text = readFileSync(full, 'utf8');
    const specifiers = [
      ...text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm),
    ].map((m) => m[1] ?? m[2]);
    const file = path.relative(root, full);
    const imports = specifiers
      .filter((s) => s.startsWith('.'))
      .map((s) => path.relative(root, path.resolve(path.dirname(full), s)).replace(/\.js$/, '.ts'));
    const packages = specifiers.filter((s) => !s.startsWith('.'));
    return { file, imports, packages };
  });
}

/** The folder of a source file: its first directory under src/ (`src/execution/x.ts` → `execution`, `src/index.ts` → `.`). */
export function folderOf(file: string): string {
  const parts = file.split(path.sep).slice(1);
  return parts.length > 1 ? parts[0] : '.';
}

/** One cycle of `graph` (a list of nodes, first = last), or null. */
export function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found !== null) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found !== null) return found;
    }
  }
  return null;
}
