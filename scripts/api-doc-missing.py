"""Adds to docs/api.md every name src/index.ts exports that the doc does not list yet (summary from its TSDoc)."""
import re

index = open('src/index.ts').read()
doc = open('docs/api.md').read()
documented = set(re.findall(r'^- `([A-Za-z_][A-Za-z0-9_]*)`', doc, re.M))
titles = {'util': 'Errors and option specs', 'execution': 'Models, execution settings and rules', 'rules': 'Propagation rules',
          'attribution': 'Attribution', 'evaluation': 'Evaluation', 'pipeline': 'Pipeline (what the CLI and the web page run)'}
lines = doc.rstrip('\n').split('\n')
for m in re.finditer(r"export (type )?\{([^}]*)\} from '\./([^']+)\.js';", index):
    is_type, names, mod = m.group(1), m.group(2), m.group(3)
    source = open(f'src/{mod}.ts').read()
    for name in [n.strip() for n in names.split(',') if n.strip()]:
        if name in documented:
            continue
        found = re.search(r"/\*\*((?:(?!\*/).)*?)\*/\s*export (?:async )?(?:function|const|class|interface|type) " + re.escape(name) + r"\b", source, re.S)
        text = ' '.join(l.strip().lstrip('*').strip() for l in found.group(1).split('\n') if l.strip().lstrip('*').strip() and not l.strip().lstrip('*').strip().startswith('@')) if found else ''
        summary = re.split(r'(?<=[.!?])\s', text)[0] if text else f'(see src/{mod}.ts)'
        entry = f"- `{name}`{' *(type)*' if is_type else ''} — {summary} (src/{mod}.ts)"
        title = '## ' + titles.get(mod.split('/')[0], mod.split('/')[0])
        if title not in lines:
            lines += ['', title, '']
        at = lines.index(title) + 1
        while at < len(lines) and not lines[at].startswith('## '):
            at += 1
        while lines[at - 1] == '':
            at -= 1
        lines.insert(at, entry)
        documented.add(name)
open('docs/api.md', 'w').write('\n'.join(lines) + '\n')
