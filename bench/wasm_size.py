#!/usr/bin/env python3
"""Where a WebAssembly module's code bytes go, by crate.

    python3 bench/wasm_size.py MODULE.wasm [ROWS]

Reads the code section and the function names (the `name` section, which
the split step keeps until the optimiser strips it: use the split's
`target/front/split/lab-portal.wasm` or the compiler's `app.wasm`) and
sums each function body's size under the crate its mangled name starts
with (`<crate>` for trait impls on a crate's types).
"""
import collections
import re
import sys

def leb(b,i):
    r=s=0
    while True:
        x=b[i]; i+=1; r|=(x&0x7f)<<s; s+=7
        if x<0x80: return r,i
b=open(sys.argv[1],'rb').read(); i=8
secs={}
customs={}
while i<len(b):
    sid=b[i]; i+=1; n,i=leb(b,i)
    if sid==0:
        nl,j=leb(b,i); name=b[j:j+nl].decode(); customs[name]=(j+nl, i+n)
    else: secs[sid]=(i,i+n)
    i+=n
# imports: count funcs
nimp=0
if 2 in secs:
    i,e=secs[2]; cnt,i=leb(b,i)
    for _ in range(cnt):
        l,i=leb(b,i); i+=l; l,i=leb(b,i); i+=l; kind=b[i]; i+=1
        if kind==0: _,i=leb(b,i); nimp+=1
        elif kind==1: i+=1; fl,i=leb(b,i); _,i=leb(b,i); 
        elif kind==2:
            fl,i=leb(b,i); _,i=leb(b,i)
            if fl&1: _,i=leb(b,i)
        elif kind==3: i+=2
        elif kind==4: i+=1; _,i=leb(b,i)
names={}
if 'name' in customs:
    i,e=customs['name']
    while i<e:
        sub=b[i]; i+=1; n,i=leb(b,i); end=i+n
        if sub==1:
            cnt,j=leb(b,i)
            for _ in range(cnt):
                idx,j=leb(b,j); l,j=leb(b,j); names[idx]=b[j:j+l].decode('utf8','replace'); j+=l
        i=end
sizes=[]
i,e=secs[10]; cnt,i=leb(b,i)
for k in range(cnt):
    n,i=leb(b,i); sizes.append((n, names.get(nimp+k,'?'))); i+=n
def crate(nm):
    m=re.match(r'_ZN(\d+)(.*)',nm)
    if m:
        l=int(m.group(1)); c=m.group(2)[:l]
        if c.startswith('_$LT$'):
            m2=re.search(r'\$LT\$(\w+?)\.\.', c)
            return ('<'+m2.group(1)+'>') if m2 else c[:30]
        return c
    m=re.match(r'_RN\w*?C(?:s\w+_)?(\d+)([A-Za-z_]+)', nm)
    if m: return m.group(2)[:int(m.group(1))]
    return nm.split('::')[0][:30]
agg=collections.Counter(); 
for n,nm in sizes: agg[crate(nm)]+=n
tot=sum(n for n,_ in sizes)
print("code bytes", tot, "funcs", len(sizes), "named", len(names))
for c,n in agg.most_common(int(sys.argv[2]) if len(sys.argv)>2 else 30): print(f"{n:9d} {100*n/tot:5.1f}% {c}")
