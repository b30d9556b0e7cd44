import sys, numpy as np, time
sys.path.insert(0,'.')
from vs_plugin.training.vsr_data import Sources, VSRClips, downscale, _read_rgb
from vs_plugin.core import flow as fl
src = Sources.scan('../shared/data','train')
rng = np.random.default_rng(0)
def psnr(a,b): return 10*np.log10(1/np.mean((a-b)**2))
for preset in ['ultrafast','fast','medium']:
    res=[]; res0=[]; t=0
    for clip in src.clips[:8]:
        fr=[downscale(_read_rgb(p),4) for p in clip[2:5]]
        c=fr[1]
        for o in (fr[0],fr[2]):
            t0=time.time(); f,cc,_,_=fl.flow_pair(c,o,preset); t+=time.time()-t0
            w=fl.backward_warp(o,f)
            m=cc>0.5
            res.append(psnr(c[m],w[m])); res0.append(psnr(c,o)); 
    print(preset, 'warped', np.mean(res), 'unwarped', np.mean(res0), 'time', t/len(res), 'conf', cc.mean())
