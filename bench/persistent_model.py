#!/usr/bin/env python3
"""The persistent kernel's performance model (docs/PERFORMANCE.md, issue 16): predicted
microseconds per step on an H100 SXM for the persistent kernel (v1 as built: f32 weights in
shared memory; reg: f32 weights in registers; bf16: tensor cores) and the step path, and the
largest H whose W_hh fits on chip. Predictions only; prints the markdown tables of the doc.
Every assumption is a named constant below (BAR: one grid barrier, the least known)."""
import math
SM=132; CLK=1.98e9; FFMA=SM*128*2*CLK; TC=990e12
SMEM=227*1024; REG_W=128*1024; L2BW=5.5e12; L2LAT=0.3e-6; BAR=1.0e-6; LAUNCH=2.5e-6
def S_of(H,nsm): return math.ceil(H/nsm)
def r32(x): return (x+31)//32*32
def fits(G,H,b,cap,nsm): return G*S_of(H,nsm)*r32(H)*b<=cap
def maxH(G,b,cap,nsm):
    H=1
    while fits(G,H+1,b,cap,nsm): H+=1
    return H
def nb(H): return math.ceil(H/S_of(H,SM))
def l2(H,B,b): return L2LAT+nb(H)*B*H*b/L2BW
def v1(G,H,B):  # built: f32 weights in shared memory, one shared load per FFMA
    return BAR+2*B*G*H*H/(FFMA/4*nb(H)/SM)+l2(H,B,4)+L2LAT
def reg32(G,H,B):
    return BAR+2*B*G*H*H/(FFMA*nb(H)/SM)+l2(H,B,4)
def bf16(G,H,B):
    return BAR+2*B*G*H*H/(TC*min(1,B/8)*nb(H)/SM)+l2(H,B,2)
def step(G,H,B):
    return 2*LAUNCH+max(G*H*H*4/L2BW, 2*B*G*H*H/(0.5*FFMA))
cells=[('RNN',1),('GRU',3),('LSTM',4)]
print('| cell | precision | on chip | uni | bi (per direction, 66 SMs) |\n|---|---|---|---|---|')
for name,G in cells:
  for prec,b in (('f32',4),('bf16',2)):
    print(f'| {name} | {prec} | shared memory only (as built) | {maxH(G,b,SMEM,SM)} | {maxH(G,b,SMEM,SM//2)} |')
    print(f'| {name} | {prec} | + 128 KB of registers per SM | {maxH(G,b,SMEM+REG_W,SM)} | {maxH(G,b,SMEM+REG_W,SM//2)} |')
for name,G in cells:
  print(f'\n{name} (G = {G}), µs per step, `v1 / reg / bf16 / step`:\n')
  print('| H \\ B | 1 | 4 | 16 | 64 |\n|---|---|---|---|---|')
  for H in (128,256,512,1024,1536):
    row=[]
    for B in (1,4,16,64):
      a=f'{v1(G,H,B)*1e6:.1f}' if fits(G,H,4,SMEM,SM) else '—'
      r=f'{reg32(G,H,B)*1e6:.1f}' if fits(G,H,4,SMEM+REG_W,SM) else '—'
      c=f'{bf16(G,H,B)*1e6:.1f}' if fits(G,H,2,SMEM+REG_W,SM) else '—'
      row.append(f'{a} / {r} / {c} / {step(G,H,B)*1e6:.1f}')
    print(f'| {H} | '+' | '.join(row)+' |')
