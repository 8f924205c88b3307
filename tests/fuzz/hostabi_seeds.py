#!/usr/bin/env python3
"""hostabi_seeds.py - writes the seed scripts of fuzz_hostabi into
tests/fuzz/corpus/hostabi/ (the record format is abiscript.c's header: op,
callback mask, argument sources, five i32 immediates, one 64-bit one): every
import once, a metric, a key-value round trip, a rule, hostile pointers and
lengths, a trap, a loop, a reload and an init that refuses. Run from the
project root; the files are kept in the repository."""
import struct, os
D='tests/fuzz/corpus/hostabi'
ALL=0x7f
IMM,FLOW,LAST,SCRIPT,EVBUF,END,NASTY,SCR=range(8)
def rec(op, cbs=ALL, src=(), imm=(), wide=0, f=None):
    src=tuple(list(src)+[0]*5)[:5]; imm=tuple(list(imm)+[0]*5)[:5]
    s=0
    for i,a in enumerate(src): s |= (a&7) << (3*i)
    w = struct.pack('<d', f) if f is not None else struct.pack('<q', wide)
    return struct.pack('<BBH5i', op, cbs, s, *imm) + w
def plant(off, text):
    return struct.pack('<BBHi',20,ALL,0,off)+text.encode().ljust(24,b'\0')
seeds={}
s=rec(0,src=(FLOW,IMM),imm=(0,1),wide=1000000000)
s+=rec(1,src=(FLOW,SCR),imm=(0,512)); s+=rec(2,src=(FLOW,SCR),imm=(0,768))
s+=rec(3,wide=1); s+=rec(4,src=(FLOW,SCR),imm=(0,1024)); s+=rec(5,src=(SCR,),imm=(1280,))
seeds['each_import']=s
# plant copies imm[0] too: the text starts at scratch + off + 4
s=plant(0,'m_a')+rec(7,src=(IMM,SCR,IMM,SCR,IMM),imm=(0,4,3,4,3))+rec(8,src=(LAST,),f=1.5)+rec(9,src=(LAST,),f=float('nan'))+rec(10,src=(LAST,),f=float('inf'))
seeds['metric']=s
s=rec(13,src=(SCRIPT,IMM,SCRIPT,IMM),imm=(0,8,8,16))+rec(12,src=(SCRIPT,IMM,SCR,IMM),imm=(0,8,0,64))+rec(14,src=(SCRIPT,IMM),imm=(0,8))
seeds['kv']=s
s=plant(2048,'*.a.test')+rec(15,src=(IMM,SCR,IMM,IMM),imm=(1,2052,8,2),wide=1000000000)+rec(16,src=(IMM,SCR,IMM),imm=(1,2052,8))
seeds['rule']=s
s=rec(6,src=(IMM,END,NASTY),imm=(1,3,3))+rec(11,src=(END,NASTY),imm=(8,7))+rec(0,src=(FLOW,IMM),imm=(0,2),wide=(1<<63)-1)+rec(0,src=(FLOW,IMM),imm=(0,1),wide=-1)+rec(13,src=(EVBUF,NASTY,END,NASTY),imm=(0,3,0,5))
seeds['hostile']=s
seeds['trap']=rec(5,src=(SCR,))+rec(18,cbs=1<<1)
seeds['loop']=rec(19,cbs=1<<5)
seeds['reload']=b'RL'+b'\0'*30+rec(0,src=(FLOW,IMM),imm=(0,1),wide=5000000000)
seeds['init_refuses']=rec(17,cbs=1<<0,imm=(1,))
os.makedirs(D,exist_ok=True)
for k,v in seeds.items():
    open(os.path.join(D,k),'wb').write(v)
print(len(seeds))
