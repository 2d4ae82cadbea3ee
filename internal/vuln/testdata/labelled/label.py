# Usage: python3 label.py > labels.csv, then append the hand-written rows kept at the end of labels.csv.
# Proposes labels for the labelled test set; every proposal was then read and checked by hand
# against the printed range (see internal/vuln/testdata/labelled/README.md).
import json, glob, os, re, csv, sys, shutil
SH = os.path.dirname(os.path.abspath(__file__))
recs = {}
for f in glob.glob(SH + '/nvd/*.json'):
    d = json.load(open(f)); recs.setdefault(d['id'], {})['nvd'] = (f, d.get('configurations', []))
for f in glob.glob(SH + '/nvd-overrides/*/*.json'):
    d = json.load(open(f)); recs.setdefault(d['_annotation']['cve_id'], {})['ovr'] = (f, d['cve'].get('configurations', []))

def key(v):
    m = re.match(r'(\d+(?:\.\d+)*)(.*)$', v)
    rel = [int(x) for x in m.group(1).split('.')]
    while rel and rel[-1] == 0: rel.pop()
    suf = m.group(2).lstrip('.-_')
    pre = re.match(r'(rc|test|alpha|beta)(\d*)$', suf)
    if suf == '': s = (1, '', 0)
    elif pre: s = (0, {'test': 0, 'alpha': 1, 'beta': 2, 'rc': 3}[pre.group(1)], int(pre.group(2) or 0))
    else: s = (2, suf, 0)
    return (rel, s)
def cmp(a, b):
    ka, kb = key(a), key(b)
    n = max(len(ka[0]), len(kb[0]))
    ra = ka[0] + [0]*(n-len(ka[0])); rb = kb[0] + [0]*(n-len(kb[0]))
    if ra != rb: return -1 if ra < rb else 1
    if ka[1] != kb[1]: return -1 if ka[1] < kb[1] else 1
    return 0

# firmware, component, version, cpe vendor:product list (Buildroot CPE IDs; aliases spelled out)
comps = [
 ('som60', 'busybox', '1.29.3', ['busybox:busybox']),
 ('som60', 'libopenssl', '1.1.1i', ['openssl:openssl']),
 ('som60', 'libcurl', '7.74.0', ['haxx:libcurl', 'haxx:curl']),
 ('som60', 'dnsmasq', '2.84', ['thekelleys:dnsmasq', 'dnsmasq:dnsmasq']),
 ('som60', 'dropbear', '2018.76', ['dropbear_ssh_project:dropbear_ssh']),
 ('som60', 'libzlib', '1.2.11', ['zlib:zlib']),
 ('pkgstats', 'busybox', '1.36.1', ['busybox:busybox']),
 ('pkgstats', 'libopenssl', '3.3.2', ['openssl:openssl']),
 ('pkgstats', 'libzlib', '1.3.1', ['zlib:zlib']),
 ('pkgstats', 'xz', '5.6.2', ['tukaani:xz']),
 ('pkgstats', 'glibc', '2.40', ['gnu:glibc']),
]
rows = []
used = set()
for fw, name, ver, vps in comps:
    for cve in sorted(recs):
        r = recs[cve]
        src = 'ovr' if 'ovr' in r else 'nvd'
        f, cfgs = r[src]
        hit = None; named = []
        for ci, c in enumerate(cfgs):
            for n in c['nodes']:
                for m in n['cpeMatch']:
                    p = m['criteria'].split(':')
                    if (p[3] + ':' + p[4]) not in vps or not m.get('vulnerable'): continue
                    used.add(f)
                    rng = []
                    ok = True
                    if p[5] not in ('*', '-'):
                        rng.append('= ' + p[5]); ok = cmp(ver, p[5]) == 0
                    if 'versionStartIncluding' in m: rng.append('>= ' + m['versionStartIncluding']); ok = ok and cmp(ver, m['versionStartIncluding']) >= 0
                    if 'versionStartExcluding' in m: rng.append('> ' + m['versionStartExcluding']); ok = ok and cmp(ver, m['versionStartExcluding']) > 0
                    if 'versionEndIncluding' in m: rng.append('<= ' + m['versionEndIncluding']); ok = ok and cmp(ver, m['versionEndIncluding']) <= 0
                    if 'versionEndExcluding' in m: rng.append('< ' + m['versionEndExcluding']); ok = ok and cmp(ver, m['versionEndExcluding']) < 0
                    if p[10] not in ('*', '-'): ok = False; rng.append('target_sw ' + p[10])
                    desc = f"{p[3]}:{p[4]} {' '.join(rng) or 'all versions'}"
                    named.append(desc)
                    plat = any(all(not x.get('vulnerable') for x in nn['cpeMatch']) for nn in c['nodes'])
                    if ok and hit is None: hit = desc + (' (AND configuration: vulnerable:false platform node assumed)' if plat else '')
        if not named: continue
        src_name = 'nvd-overrides' if src == 'ovr' else 'nvd'
        if hit: rows.append((fw, name, ver, cve, 'affected', f'{src_name}: {hit}'))
        else: rows.append((fw, name, ver, cve, 'not_affected', f'{src_name}: outside ' + '; '.join(sorted(set(named))[:3]) + (' ...' if len(set(named)) > 3 else '')))
w = csv.writer(sys.stdout, lineterminator='\n')
w.writerow(['firmware', 'component', 'version', 'cve', 'label', 'note'])
for r in rows: w.writerow(r)

