/**
 * Static checks of the engine layering (for the architecture tests): module-level tables keyed by models, and set-hooks
 * that one folder of src/ installs in another.
 */
import path from 'node:path';

/** Types whose values a module-level table must not be keyed by (a model, or what stands for one). */
const MODEL_TYPES = /\b(ExplainableModel|LayersModel|GraphModel|ModelInput|ScoreFunction|Session|SessionHandle)\b/;

/**
 * The module-level declarations of `text` (statements starting at column 0, `const`/`let`/`var`, exported or not) that
 * make a `WeakMap` or `WeakSet` (any key: such tables exist to hang state on objects such as models), or a `Map`/`Set`
 * whose key type names a model. Returns the offending lines.
 */
export function moduleLevelModelTables(text: string): string[] {
  const found: string[] = [];
  const declaration =
    /^(?:export\s+)?(?:const|let|var)\s+[A-Za-z_$][\w$]*\s*(?::\s*([^=]+?))?\s*=\s*new\s+(Weak(?:Map|Set)|Map|Set)\s*(<[^(]*>)?\s*\(/gm;
  for (const match of text.matchAll(declaration)) {
    const [line, annotation = '', kind, typeArguments = ''] = match;
    const key = `${annotation} ${typeArguments}`;
    if (kind.startsWith('Weak') || MODEL_TYPES.test(key)) found.push(line.trim());
  }
  const annotated = /^(?:export\s+)?(?:const|let|var)\s+[A-Za-z_$][\w$]*\s*:\s*Weak(?:Map|Set)\s*</gm;
  for (const match of text.matchAll(annotated)) if (!found.includes(match[0].trim())) found.push(match[0].trim());
  return found;
}

/** The folder of a repository-relative source file: its first directory under src/ (`src/index.ts` → `.`). */
function folderOfFile(file: string): string {
  const parts = file.split(/[\\/]/).slice(1);
  return parts.length > 1 ? parts[0] : '.';
}

/**
 * The `set*` functions (`setSomething`: installs a function or an object into another module's state) that `file`
 * imports or re-exports by value from another folder of src/ — set-hooks between layers. Type-only imports are not
 * hooks. Returns `name from 'specifier'` per offence.
 */
export function crossFolderSetHooks(file: string, text: string): string[] {
  const found: string[] = [];
  const statement = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?\{([^}]*)\}\s*from\s*['"](\.[^'"]+)['"]/g;
  for (const match of text.matchAll(statement)) {
    const [, typeOnly, names, specifier] = match;
    if (typeOnly !== undefined) continue;
    const target = path.join(path.dirname(file), specifier);
    if (folderOfFile(target) === folderOfFile(file)) continue;
    for (const raw of names.split(',')) {
      const name = raw.trim().replace(/^type\s+/, '');
      if (raw.trim().startsWith('type ')) continue;
      const imported = name.split(/\s+as\s+/)[0];
      if (/^set[A-Z]/.test(imported)) found.push(`${imported} from '${specifier}'`);
    }
  }
  return found;
}
