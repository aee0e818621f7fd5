// Entry of the dashboard app (built by vite into dashboard/app/dist, served by dashboard/server).
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('linepulse: #app element missing from index.html');
export default mount(App, { target });
